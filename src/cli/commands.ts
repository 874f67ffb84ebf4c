/** Every command group; importing a module registers its commands. */
import "./broker.ts";
import "./coordinator.ts";
