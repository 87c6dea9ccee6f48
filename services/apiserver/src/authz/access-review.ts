// SelfSubjectAccessReview, SubjectAccessReview and SelfSubjectReview: create-only kinds answered by the authorization step.
import type { authenticationV1, authorizationV1} from "@kubeplane/api";
import { apiErrors, type apiserverV1, type KindInfo } from "@kubeplane/api";
import type { UserInfo } from "../authn/index.js";
import { decodeRequestObject, encodeReplyObject } from "../object-codec.js";
import { nonResourceAttributes, resourceAttributes, type RequestAttributes } from "./attributes.js";
import type { Authorizer } from "./authorizer.js";

/** The resources this module answers; they are never stored. */
export const REVIEW_RESOURCES = new Set(["authorization.k8s.io/subjectaccessreviews", "authorization.k8s.io/selfsubjectaccessreviews", "authentication.k8s.io/selfsubjectreviews"]);

export function isReviewResource(info: KindInfo): boolean {
  return REVIEW_RESOURCES.has(`${info.group}/${info.resource}`);
}

type Spec = authorizationV1.SelfSubjectAccessReviewSpec;

function attributesOf(user: UserInfo, spec: Spec | undefined): RequestAttributes {
  const r = spec?.resourceAttributes;
  if (r) {
    const [resource = "", sub = ""] = r.subresource ? [r.resource, r.subresource] : r.resource.split("/", 2);
    return resourceAttributes(user, { verb: r.verb, apiGroup: r.group, resource, subresource: sub, namespace: r.namespace, name: r.name });
  }
  const n = spec?.nonResourceAttributes;
  if (n) return nonResourceAttributes(user, n.verb, n.path);
  throw apiErrors.invalid({ group: "authorization.k8s.io", resource: "subjectaccessreviews", kind: "SubjectAccessReview", name: "" }, [
    { type: "FieldValueRequired", field: "spec.resourceAttributes", detail: "exactly one of nonResourceAttributes or resourceAttributes must be specified" },
  ]);
}

async function verdictStatus(authorizer: Authorizer, attrs: RequestAttributes): Promise<authorizationV1.SubjectAccessReviewStatus> {
  const v = await authorizer.authorize(attrs);
  return { allowed: v.decision === "allow", ...(v.decision === "deny" ? { denied: true } : {}), reason: v.reason, evaluationError: "" };
}

/**
 * Answers a create of a review kind for `caller`: the object comes back with its status filled.
 * Other verbs on these kinds are MethodNotAllowed (see `refuseReviewVerb`).
 */
export async function createReview(info: KindInfo, raw: apiserverV1.RawObject | undefined, accept: apiserverV1.Encoding, caller: UserInfo, authorizer: Authorizer): Promise<apiserverV1.ObjectReply> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  switch (info.resource) {
    case "selfsubjectreviews": {
      const review = decodeRequestObject(info as KindInfo<authenticationV1.SelfSubjectReview>, raw);
      const extra = Object.fromEntries(Object.entries(caller.extra ?? {}).map(([k, items]) => [k, { items }]));
      review.status = { userInfo: { username: caller.username, uid: caller.uid ?? "", groups: caller.groups, extra } };
      review.metadata = { ...review.metadata!, creationTimestamp: now };
      return { object: encodeReplyObject(info, review, accept) };
    }
    case "selfsubjectaccessreviews": {
      const review = decodeRequestObject(info as KindInfo<authorizationV1.SelfSubjectAccessReview>, raw);
      review.status = await verdictStatus(authorizer, attributesOf(caller, review.spec));
      return { object: encodeReplyObject(info, review, accept) };
    }
    default: {
      const review = decodeRequestObject(info as KindInfo<authorizationV1.SubjectAccessReview>, raw);
      const spec = review.spec;
      if (!spec?.user && !spec?.groups.length) {
        throw apiErrors.invalid({ group: "authorization.k8s.io", resource: "subjectaccessreviews", kind: "SubjectAccessReview", name: "" }, [
          { type: "FieldValueRequired", field: "spec.user", detail: "at least one of user or group must be specified" },
        ]);
      }
      const extra = Object.fromEntries(Object.entries(spec.extra).map(([k, v]) => [k, v.items]));
      const user: UserInfo = { username: spec.user, groups: spec.groups, ...(spec.uid ? { uid: spec.uid } : {}), extra };
      review.status = await verdictStatus(authorizer, attributesOf(user, spec));
      return { object: encodeReplyObject(info, review, accept) };
    }
  }
}

/** Reviews are create-only: any other verb is MethodNotAllowed, as Kubernetes answers. */
export function refuseReviewVerb(info: KindInfo, verb: string): never {
  throw apiErrors.apiError("MethodNotAllowed", `the server does not allow this method on the requested resource (${verb} ${info.resource}.${info.group})`);
}
