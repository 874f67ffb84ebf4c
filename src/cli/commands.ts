/** Every command group; importing a module registers its commands. */
import "./topic.ts";
import "./produce.ts";
import "./consume.ts";
import "./broker.ts";
