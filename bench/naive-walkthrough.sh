#!/usr/bin/env bash
# The naive way to check Pod Identity: the walkthrough's commands (README, "The Pod Identity
# walkthrough by hand") written as a script the way hand-written checks usually are: one step after
# the other, a fixed sleep after creating the role and after creating the association instead of
# waiting for them to apply, `kubectl wait`, `kubectl exec … aws …`. It checks what the walkthrough
# files of the pod-identity suite check (credentials, S3, isolation, session tags, mutation, agent
# hardening, association lifecycle, cleanup), scenario by scenario. bench/perf.ts times it against `npm run sim -- --latency eks`
# to compare with the suite on the same profile; it deliberately sleeps, that is the point.
#
#   eval "$(grep ^export sim.env)"; bash bench/naive-walkthrough.sh
#
# Needs KUBECONFIG, AWS_ENDPOINT_URL, AWS credentials, AWS_DEFAULT_REGION and PIC_CLUSTER (the export
# lines of `npm run sim`), kubectl and the AWS CLI. Exits 1 at the first check that fails.
set -euo pipefail

ROLE_SLEEP=${ROLE_SLEEP:-10}               # "IAM takes a few seconds": a round number that usually works
ASSOCIATION_SLEEP=${ASSOCIATION_SLEEP:-10} # "may take several seconds" (EKS docs)
IMAGE=public.ecr.aws/aws-cli/aws-cli:2.22.0
ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}'
BUCKET=naive-$RANDOM$RANDOM
PREFIX=naive-$RANDOM

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

create_role() { # NAME [POLICY_JSON]
  aws iam create-role --role-name "$1" --assume-role-policy-document "$TRUST" >/dev/null
  if [ -n "${2:-}" ]; then
    aws iam put-role-policy --role-name "$1" --policy-name app --policy-document "$2"
  fi
  sleep "$ROLE_SLEEP"
}

delete_role() { # NAME
  aws iam delete-role-policy --role-name "$1" --policy-name app 2>/dev/null || true
  aws iam delete-role --role-name "$1"
}

associate() { # NAMESPACE SERVICE_ACCOUNT ROLE
  aws eks create-pod-identity-association --cluster-name "$PIC_CLUSTER" --namespace "$1" \
    --service-account "$2" --role-arn "arn:aws:iam::$ACCOUNT:role/$3" \
    --query association.associationId --output text
  sleep "$ASSOCIATION_SLEEP"
}

disassociate() { # ASSOCIATION_ID
  aws eks delete-pod-identity-association --cluster-name "$PIC_CLUSTER" --association-id "$1" >/dev/null
}

run_pod() { # NAMESPACE NAME SERVICE_ACCOUNT
  kubectl run "$2" -n "$1" --image "$IMAGE" --overrides "{\"spec\":{\"serviceAccountName\":\"$3\"}}" \
    --command -- sleep infinity >/dev/null
  kubectl wait -n "$1" --for=condition=Ready "pod/$2" --timeout=180s >/dev/null
}

expect_role() { # NAMESPACE POD ROLE
  local arn
  arn=$(kubectl exec -n "$1" "$2" -- aws sts get-caller-identity --query Arn --output text)
  case "$arn" in *":assumed-role/$3/"*) ;; *) fail "$1/$2 is $arn, not role $3" ;; esac
}

expect_no_credentials() { # NAMESPACE POD
  if kubectl exec -n "$1" "$2" -- aws sts get-caller-identity >/dev/null 2>&1; then
    fail "$1/$2 got credentials"
  fi
}

put_object() { # NAMESPACE POD KEY -> exit status of the upload
  kubectl exec -n "$1" "$2" -- sh -c "echo naive > /tmp/f && aws s3 cp /tmp/f s3://$BUCKET/$3" >/dev/null 2>&1
}

# One walkthrough: namespace, service account, role, association, pod, its identity; then cleanup.
walkthrough() { # NAME [POLICY_JSON]
  local ns=$PREFIX-$1 association
  kubectl create namespace "$ns" >/dev/null
  kubectl create serviceaccount app -n "$ns" >/dev/null
  create_role "$PREFIX-$1" "${2:-}"
  association=$(associate "$ns" app "$PREFIX-$1")
  run_pod "$ns" app app
  expect_role "$ns" app "$PREFIX-$1"
  echo "$ns $association"
}

cleanup() { # NAMESPACE ASSOCIATION_ID ROLE
  kubectl delete namespace "$1" >/dev/null
  disassociate "$2"
  delete_role "$3"
}

aws s3 mb "s3://$BUCKET" >/dev/null
S3_POLICY="{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:PutObject\",\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::$BUCKET\",\"arn:aws:s3:::$BUCKET/*\"]}]}"
writer_policy() { echo "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::$BUCKET/$1/*\"}]}"; }

echo "credentials"
read -r ns id < <(walkthrough credentials)
kubectl exec -n "$ns" app -- env | grep -q '^AWS_CONTAINER_CREDENTIALS_FULL_URI=' || fail "no credential variables"
cleanup "$ns" "$id" "$PREFIX-credentials"

echo "s3 round trip"
read -r ns id < <(walkthrough s3 "$S3_POLICY")
put_object "$ns" app round-trip.txt || fail "upload denied"
kubectl exec -n "$ns" app -- aws s3 cp "s3://$BUCKET/round-trip.txt" /tmp/back >/dev/null
cleanup "$ns" "$id" "$PREFIX-s3"

echo "isolation"
read -r ns id_a < <(walkthrough writer-a "$(writer_policy a)")
kubectl create serviceaccount writer-b -n "$ns" >/dev/null
create_role "$PREFIX-writer-b" "$(writer_policy b)"
id_b=$(associate "$ns" writer-b "$PREFIX-writer-b")
run_pod "$ns" writer-b writer-b
expect_role "$ns" writer-b "$PREFIX-writer-b"
put_object "$ns" writer-b b/own.txt || fail "role B denied under its own prefix"
if put_object "$ns" writer-b a/foreign.txt; then fail "role B wrote under role A's prefix"; fi
kubectl create serviceaccount bystander -n "$ns" >/dev/null
run_pod "$ns" bystander bystander
expect_no_credentials "$ns" bystander
kubectl create namespace "$ns-other" >/dev/null
kubectl create serviceaccount app -n "$ns-other" >/dev/null
run_pod "$ns-other" app app
expect_no_credentials "$ns-other" app
kubectl delete namespace "$ns-other" >/dev/null
disassociate "$id_b"
delete_role "$PREFIX-writer-b"
cleanup "$ns" "$id_a" "$PREFIX-writer-a"

echo "session tags"
for sa in tagged untagged unlisted; do
  read -r ns id < <(walkthrough "tags-$sa" "$(writer_policy "$PREFIX-tags-$sa")")
  put_object "$ns" app "$PREFIX-tags-$sa/tagged.txt" || fail "$sa denied under its namespace's prefix"
  cleanup "$ns" "$id" "$PREFIX-tags-$sa"
done

echo "mutation"
read -r ns id < <(walkthrough mutation)
kubectl exec -n "$ns" app -- cat /var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token >/dev/null
kubectl create serviceaccount other -n "$ns" >/dev/null
run_pod "$ns" unassociated other
if kubectl exec -n "$ns" unassociated -- env | grep -q '^AWS_CONTAINER_CREDENTIALS_FULL_URI='; then
  fail "an unassociated pod was mutated"
fi
cleanup "$ns" "$id" "$PREFIX-mutation"

echo "agent hardening"
read -r ns id < <(walkthrough agent)
kubectl exec -n "$ns" app -- sh -c \
  'curl -sf -H "Authorization: $(cat $AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)" $AWS_CONTAINER_CREDENTIALS_FULL_URI' >/dev/null ||
  fail "the agent refused the pod's own token"
status=$(kubectl exec -n "$ns" app -- sh -c 'curl -s -o /dev/null -w "%{http_code}" $AWS_CONTAINER_CREDENTIALS_FULL_URI')
[ "$status" = 400 ] || fail "the agent answered $status to a request without a token"
cleanup "$ns" "$id" "$PREFIX-agent"

echo "association lifecycle"
read -r ns id < <(walkthrough lifecycle-a)
create_role "$PREFIX-lifecycle-b"
aws eks update-pod-identity-association --cluster-name "$PIC_CLUSTER" --association-id "$id" \
  --role-arn "arn:aws:iam::$ACCOUNT:role/$PREFIX-lifecycle-b" >/dev/null
sleep "$ASSOCIATION_SLEEP"
run_pod "$ns" after-update app
expect_role "$ns" after-update "$PREFIX-lifecycle-b"
disassociate "$id"
sleep "$ASSOCIATION_SLEEP"
run_pod "$ns" after-delete app
expect_no_credentials "$ns" after-delete
kubectl delete namespace "$ns" >/dev/null
delete_role "$PREFIX-lifecycle-a"
delete_role "$PREFIX-lifecycle-b"

aws s3 rb "s3://$BUCKET" --force >/dev/null
echo "all checks passed"
