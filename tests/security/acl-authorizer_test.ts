import assert from "node:assert/strict";
import { AclOperation as Op, AclPermission, PatternType, ResourceType } from "../../src/kafka/acl.ts";
import { AclAuthorizer, type AuthorizationRequest } from "../../src/security/acl-authorizer.ts";
import {
  type AccessControlEntry,
  type AclBinding,
  ANY_ACL_FILTER,
  invalidBindingReason,
  matchesFilter,
  type ResourcePattern,
} from "../../src/security/acl-bindings.ts";

const topic = (resourceName: string, patternType: number = PatternType.Literal): ResourcePattern => ({
  resourceType: ResourceType.Topic,
  resourceName,
  patternType,
});
const allow = (principal: string, operation: number, host = "*"): AccessControlEntry => ({
  principal,
  host,
  operation,
  permissionType: AclPermission.Allow,
});
const deny = (principal: string, operation: number, host = "*"): AccessControlEntry => ({
  principal,
  host,
  operation,
  permissionType: AclPermission.Deny,
});
/** May `principal` do `operation` on topic `name` from `host`? */
const can = (
  authorizer: AclAuthorizer,
  principal: string,
  operation: number,
  name: string,
  host = "10.0.0.9",
  resourceType: number = ResourceType.Topic,
) => authorizer.authorize({ principal, host, operation, resourceType, resourceName: name });

Deno.test("Without ACLs everything is denied (allow.everyone.if.no.acl.found defaults to false)", () => {
  const authorizer = new AclAuthorizer();
  assert.equal(can(authorizer, "User:alice", Op.Read, "orders"), false);
  const open = new AclAuthorizer({ allowEveryoneIfNoAclFound: true });
  assert.equal(can(open, "User:alice", Op.Read, "orders"), true);
  // ...but once any ACL applies to a resource, only ACLs decide for it.
  open.setAcls(topic("orders"), [allow("User:bob", Op.Read)]);
  assert.equal(can(open, "User:alice", Op.Read, "orders"), false);
  assert.equal(can(open, "User:alice", Op.Read, "payments"), true);
});

Deno.test("Literal ALLOW: exactly that principal, operation, resource and type", () => {
  const authorizer = new AclAuthorizer();
  authorizer.setAcls(topic("orders"), [allow("User:alice", Op.Write)]);
  assert.equal(can(authorizer, "User:alice", Op.Write, "orders"), true);
  assert.equal(can(authorizer, "User:alice", Op.Read, "orders"), false);
  assert.equal(can(authorizer, "User:bob", Op.Write, "orders"), false);
  assert.equal(can(authorizer, "User:alice", Op.Write, "payments"), false);
  assert.equal(can(authorizer, "User:alice", Op.Write, "orders", "1.2.3.4", ResourceType.Group), false);
  assert.equal(can(authorizer, "User:alice", Op.Write, "order"), false, "not a prefix match");
});

Deno.test("DENY wins over ALLOW, including ALLOW for User:* and DENY of All", () => {
  const authorizer = new AclAuthorizer();
  authorizer.setAcls(topic("orders"), [allow("User:*", Op.Read), deny("User:mallory", Op.Read)]);
  assert.equal(can(authorizer, "User:alice", Op.Read, "orders"), true);
  assert.equal(can(authorizer, "User:mallory", Op.Read, "orders"), false);
  authorizer.setAcls(topic("payments"), [allow("User:alice", Op.All), deny("User:alice", Op.All)]);
  for (const operation of [Op.Read, Op.Write, Op.Describe, Op.Delete]) {
    assert.equal(can(authorizer, "User:alice", operation, "payments"), false);
  }
  // A DENY on a wildcard literal or a prefix beats an ALLOW on the exact name.
  authorizer.setAcls(topic("audit"), [allow("User:alice", Op.Read)]);
  authorizer.setAcls(topic("*"), [deny("User:alice", Op.Read)]);
  assert.equal(can(authorizer, "User:alice", Op.Read, "audit"), false);
  authorizer.setAcls(topic("*"), []);
  assert.equal(can(authorizer, "User:alice", Op.Read, "audit"), true);
  authorizer.setAcls(topic("au", PatternType.Prefixed), [deny("User:alice", Op.Read)]);
  assert.equal(can(authorizer, "User:alice", Op.Read, "audit"), false);
});

Deno.test("Implied operations: Describe by Read/Write/Delete/Alter, DescribeConfigs by AlterConfigs; never for DENY", () => {
  for (const granting of [Op.Read, Op.Write, Op.Delete, Op.Alter, Op.Describe, Op.All]) {
    const authorizer = new AclAuthorizer();
    authorizer.setAcls(topic("t"), [allow("User:a", granting)]);
    assert.equal(can(authorizer, "User:a", Op.Describe, "t"), true, `Describe from ${granting}`);
  }
  for (const notGranting of [Op.Create, Op.DescribeConfigs, Op.AlterConfigs, Op.ClusterAction]) {
    const authorizer = new AclAuthorizer();
    authorizer.setAcls(topic("t"), [allow("User:a", notGranting)]);
    assert.equal(
      can(authorizer, "User:a", Op.Describe, "t"),
      notGranting === Op.AlterConfigs ? false : false,
    );
  }
  const configs = new AclAuthorizer();
  configs.setAcls(topic("t"), [allow("User:a", Op.AlterConfigs)]);
  assert.equal(can(configs, "User:a", Op.DescribeConfigs, "t"), true);
  assert.equal(can(configs, "User:a", Op.Describe, "t"), false);
  // Implication runs one way: Describe does not grant Read.
  const describeOnly = new AclAuthorizer();
  describeOnly.setAcls(topic("t"), [allow("User:a", Op.Describe)]);
  assert.equal(can(describeOnly, "User:a", Op.Read, "t"), false);
  // A DENY of Read leaves Describe (granted by the ALLOW of Read) alone: deny is exact.
  const mixed = new AclAuthorizer();
  mixed.setAcls(topic("t"), [allow("User:a", Op.Write), deny("User:a", Op.Read)]);
  assert.equal(can(mixed, "User:a", Op.Describe, "t"), true);
  assert.equal(can(mixed, "User:a", Op.Read, "t"), false);
});

Deno.test("Wildcard resource, PREFIXED patterns, hosts and User:*", () => {
  const authorizer = new AclAuthorizer();
  authorizer.setAcls(topic("*"), [allow("User:reader", Op.Read)]);
  authorizer.setAcls(topic("orders-", PatternType.Prefixed), [allow("User:alice", Op.Read)]);
  authorizer.setAcls(topic("orders-secret", PatternType.Prefixed), [deny("User:alice", Op.Read)]);
  authorizer.setAcls(topic("local"), [allow("User:*", Op.Write, "10.0.0.1")]);
  assert.equal(can(authorizer, "User:reader", Op.Read, "anything"), true);
  assert.equal(can(authorizer, "User:alice", Op.Read, "orders-eu"), true);
  assert.equal(can(authorizer, "User:alice", Op.Read, "orders-"), true);
  assert.equal(can(authorizer, "User:alice", Op.Read, "orders"), false);
  assert.equal(can(authorizer, "User:alice", Op.Read, "orders-secret-2026"), false);
  assert.equal(can(authorizer, "User:bob", Op.Write, "local", "10.0.0.1"), true);
  assert.equal(can(authorizer, "User:bob", Op.Write, "local", "10.0.0.2"), false);
  // The prefix lookup takes either path (fewer stored prefixes than name characters, or more).
  const many = new AclAuthorizer();
  for (let i = 0; i < 50; i++) {
    many.setAcls(topic(`p${i}-`, PatternType.Prefixed), [allow("User:a", Op.Read)]);
  }
  assert.equal(can(many, "User:a", Op.Read, "p7-x"), true);
  assert.equal(can(many, "User:a", Op.Read, "p7x"), false);
  assert.equal(
    can(many, "User:a", Op.Read, "p49-a-much-longer-topic-name-than-fifty-characters-in-all"),
    true,
  );
});

Deno.test("Super users may do everything, DENY notwithstanding; Cluster and Group resources", () => {
  const authorizer = new AclAuthorizer({ superUsers: ["User:admin", "User:broker"] });
  authorizer.setAcls(topic("*"), [deny("User:*", Op.All)]);
  assert.equal(can(authorizer, "User:admin", Op.Delete, "orders"), true);
  assert.equal(can(authorizer, "User:alice", Op.Delete, "orders"), false);
  const cluster = {
    resourceType: ResourceType.Cluster,
    resourceName: "kafka-cluster",
    patternType: PatternType.Literal,
  };
  authorizer.setAcls(cluster, [allow("User:ops", Op.Create)]);
  const request: AuthorizationRequest = {
    principal: "User:ops",
    host: "1.1.1.1",
    operation: Op.Create,
    resourceType: ResourceType.Cluster,
    resourceName: "kafka-cluster",
  };
  assert.equal(authorizer.authorize(request), true);
  assert.equal(authorizer.authorize({ ...request, operation: Op.ClusterAction }), false);
  assert.equal(
    authorizer.authorize({ ...request, principal: "User:broker", operation: Op.ClusterAction }),
    true,
  );
  authorizer.setAcls({
    resourceType: ResourceType.Group,
    resourceName: "billing",
    patternType: PatternType.Literal,
  }, [
    deny("User:bob", Op.Read),
    allow("User:*", Op.Read),
  ]);
  assert.equal(can(authorizer, "User:bob", Op.Read, "billing", "h", ResourceType.Group), false);
  assert.equal(can(authorizer, "User:carol", Op.Read, "billing", "h", ResourceType.Group), true);
});

Deno.test("Decisions follow ACL changes (the memo is dropped on every change)", () => {
  const authorizer = new AclAuthorizer({ maxCachedDecisions: 2 });
  assert.equal(can(authorizer, "User:a", Op.Read, "t"), false);
  authorizer.setAcls(topic("t"), [allow("User:a", Op.Read)]);
  assert.equal(can(authorizer, "User:a", Op.Read, "t"), true);
  for (const name of ["x", "y", "z"]) can(authorizer, "User:a", Op.Read, name); // past the memo bound
  assert.equal(can(authorizer, "User:a", Op.Read, "t"), true);
  authorizer.setAcls(topic("t"), []);
  assert.equal(can(authorizer, "User:a", Op.Read, "t"), false);
  assert.equal(authorizer.aclCount, 0);
  authorizer.setAcls(topic("t"), [allow("User:a", Op.Read), allow("User:b", Op.Read)]);
  authorizer.setAcls(topic("u"), [allow("User:a", Op.Read)]);
  assert.equal(authorizer.aclCount, 3);
  authorizer.clear();
  assert.equal(authorizer.aclCount, 0);
  assert.equal(can(authorizer, "User:a", Op.Read, "t"), false);
});

Deno.test("authorizeAny: an ALLOW on some resource of the type, unless a DENY covers it", () => {
  const write = (a: AclAuthorizer, principal = "User:p") =>
    a.authorizeAny(principal, "h", Op.Write, ResourceType.Topic);
  const authorizer = new AclAuthorizer({ superUsers: ["User:admin"] });
  assert.equal(write(authorizer), false);
  assert.equal(write(authorizer, "User:admin"), true);
  authorizer.setAcls(topic("orders"), [allow("User:p", Op.Write)]);
  assert.equal(write(authorizer), true);
  authorizer.setAcls(topic("ord", PatternType.Prefixed), [deny("User:p", Op.Write)]);
  assert.equal(write(authorizer), false, "the prefix DENY covers the only ALLOW");
  authorizer.setAcls(topic("logs-", PatternType.Prefixed), [allow("User:p", Op.All)]);
  assert.equal(write(authorizer), true);
  authorizer.setAcls(topic("*"), [deny("User:*", Op.Write)]);
  assert.equal(write(authorizer), false, "a wildcard DENY denies everything");
  const everything = new AclAuthorizer();
  everything.setAcls(topic("*"), [allow("User:*", Op.Write)]);
  assert.equal(write(everything, "User:anyone"), true);
});

Deno.test("acls(filter) selects bindings as Kafka's ANY, MATCH, LITERAL and PREFIXED filters do", () => {
  const authorizer = new AclAuthorizer();
  authorizer.setAcls(topic("orders"), [allow("User:a", Op.Read), deny("User:b", Op.Write)]);
  authorizer.setAcls(topic("*"), [allow("User:c", Op.Describe)]);
  authorizer.setAcls(topic("ord", PatternType.Prefixed), [allow("User:d", Op.Read)]);
  authorizer.setAcls(topic("x", PatternType.Prefixed), [allow("User:e", Op.Read)]);
  authorizer.setAcls({
    resourceType: ResourceType.Group,
    resourceName: "orders",
    patternType: PatternType.Literal,
  }, [
    allow("User:a", Op.Read),
  ]);
  const principals = (filter: Partial<typeof ANY_ACL_FILTER>) =>
    authorizer.acls({ ...ANY_ACL_FILTER, ...filter }).map((binding) => binding.principal).sort();
  assert.deepEqual(principals({}), ["User:a", "User:a", "User:b", "User:c", "User:d", "User:e"]);
  assert.deepEqual(principals({ resourceType: ResourceType.Topic, resourceName: "orders" }), [
    "User:a",
    "User:b",
  ]);
  assert.deepEqual(
    principals({ resourceType: ResourceType.Topic, resourceName: "orders", patternType: PatternType.Match }),
    ["User:a", "User:b", "User:c", "User:d"],
  );
  assert.deepEqual(principals({ patternType: PatternType.Prefixed }), ["User:d", "User:e"]);
  assert.deepEqual(principals({ resourceName: "ord", patternType: PatternType.Literal }), []);
  assert.deepEqual(principals({ principal: "User:a", operation: Op.Read }), ["User:a", "User:a"]);
  assert.deepEqual(principals({ permissionType: AclPermission.Deny }), ["User:b"]);
  assert.deepEqual(principals({ host: "10.0.0.1" }), []);
  const binding = { ...topic("orders"), ...allow("User:a", Op.Read) };
  assert.equal(matchesFilter(binding, { ...ANY_ACL_FILTER, operation: Op.Write }), false);
});

Deno.test("Bindings that cannot be stored are refused with a reason", () => {
  const good: AclBinding = { ...topic("orders"), ...allow("User:a", Op.Read) };
  assert.equal(invalidBindingReason(good), undefined);
  const cases: [Partial<typeof good>, RegExp][] = [
    [{ resourceType: ResourceType.Any }, /resource type/],
    [{ resourceType: ResourceType.DelegationToken }, /resource type/],
    [{ patternType: PatternType.Match }, /pattern type/],
    [{ operation: Op.Any }, /operation/],
    [{ permissionType: AclPermission.Any }, /permission/],
    [{ resourceName: "" }, /empty resource name/],
    [{ resourceName: "a/b" }, /resource name/],
    [{ resourceType: ResourceType.Cluster, resourceName: "other" }, /kafka-cluster/],
    [{ principal: "alice" }, /Type:name/],
    [{ host: "" }, /host/],
  ];
  for (const [change, reason] of cases) assert.match(invalidBindingReason({ ...good, ...change })!, reason);
});
