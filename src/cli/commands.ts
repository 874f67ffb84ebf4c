/** Every command group; importing a module registers its commands. */
import "./acl.ts";
import "./broker.ts";
import "./consume.ts";
import "./coordinator.ts";
import "./dev.ts";
import "./chaos.ts";
import "./console.ts";
import "./events.ts";
import "./group.ts";
import "./produce.ts";
import "./topic.ts";
import "./transactions.ts";
import "./user.ts";
import "./zk.ts";
