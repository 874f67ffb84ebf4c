/**
 * One Admin client for the length of a command: built from the client flags, closed after, its
 * failures turned into one-line CLI errors that say what to do.
 */
import { Admin } from "../client/admin.ts";
import { toCliError } from "./client-options.ts";
import { clientSecurity, type SecurityFlags } from "./client-security.ts";

export async function withAdmin<T>(
  options: { bootstrap: string } & SecurityFlags,
  topic: string | undefined,
  body: (admin: Admin) => Promise<T>,
): Promise<T> {
  const security = await clientSecurity(options);
  const admin = new Admin({ bootstrap: options.bootstrap, clientId: "vltava-cli", security });
  try {
    return await body(admin);
  } catch (error) {
    throw toCliError(error, { topic, bootstrap: options.bootstrap });
  } finally {
    admin.close();
  }
}
