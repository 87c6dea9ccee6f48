// The apiserver's authentication step: who is calling (client certificates; bearer tokens to come).
export { UnionAuthenticator, bearerToken, type Authenticator, type AuthnRequest } from "./authenticator.js";
export { authenticateCalls, requestUser, setRequestUser } from "./request-user.js";
export { X509Authenticator } from "./x509.js";
export { AUTHENTICATED_GROUP, MASTERS_GROUP, withAuthenticatedGroup, type UserInfo } from "./user-info.js";
export { ServiceAccountTokenAuthenticator, SERVICE_ACCOUNTS_GROUP, type ServiceAccountTokenGetter } from "./service-account.js";
export { ServiceAccountTokenIssuer, serviceAccountUsername, DEFAULT_SERVICE_ACCOUNT_ISSUER } from "./service-account-token.js";
