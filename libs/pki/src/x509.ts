// @peculiar/x509 over Node's WebCrypto, loaded after the Reflect metadata its DI container needs.
import "./reflect-metadata.js";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto);

export { x509 };
