/** Every command group; importing a module registers its commands. */
import "./coordinator.ts";
import "./broker.ts";
