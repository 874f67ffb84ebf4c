/** A binding for tests: alice may Write the topic "orders", from anywhere, unless overridden. */
import { AclOperation, AclPermission, PatternType, ResourceType } from "../../src/kafka/acl.ts";
import type { AclBinding } from "../../src/security/acl-bindings.ts";

export function binding(overrides: Partial<AclBinding> = {}): AclBinding {
  return {
    resourceType: ResourceType.Topic,
    resourceName: "orders",
    patternType: PatternType.Literal,
    principal: "User:alice",
    host: "*",
    operation: AclOperation.Write,
    permissionType: AclPermission.Allow,
    ...overrides,
  };
}
