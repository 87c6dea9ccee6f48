// The apiserver's authentication step: who is calling (client certificates; bearer tokens to come).
export { UnionAuthenticator, bearerToken, type Authenticator, type AuthnRequest } from "./authenticator.js";
export { authenticateCalls, requestUser } from "./request-user.js";
export { X509Authenticator } from "./x509.js";
export { AUTHENTICATED_GROUP, MASTERS_GROUP, withAuthenticatedGroup, type UserInfo } from "./user-info.js";
