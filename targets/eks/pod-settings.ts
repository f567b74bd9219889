// How the eks target's test pods run on real nodes: the image (the AWS CLI v2 image, pinned), a
// keep-alive command that image can run, where they may be scheduled (--node-selector, --toleration),
// and no extra environment: AWS_EC2_METADATA_DISABLED is deliberately not set, so the isolation cases
// see whether a pod without an association can reach the node role through IMDS.

import type { PodSettings } from '../target.ts';

/** The AWS CLI v2 image, pinned. Its entrypoint is `aws`; Amazon Linux 2 inside has sh and sleep. */
export const EKS_POD_IMAGE = 'public.ecr.aws/aws-cli/aws-cli:2.22.0';
/** Replaces the image's `aws` entrypoint: coreutils sleep runs until the pod is deleted. */
export const EKS_POD_COMMAND = ['sleep', 'infinity'];

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** A label `key=value` -> [key, value], or what is wrong with it (`what` and `example` name the option). */
function parseLabel(text: string, what: string, example: string): [string, string] | string {
  const at = text.indexOf('=');
  if (at <= 0) return `${what} "${text}" is not KEY=VALUE; e.g. ${example}`;
  const key = text.slice(0, at);
  const value = text.slice(at + 1);
  if (!LABEL_KEY.test(key)) return `${what} "${text}": "${key}" is not a valid label key`;
  if (!LABEL_VALUE.test(value)) return `${what} "${text}": "${value}" is not a valid label value`;
  return [key, value];
}

export function parseNodeSelector(text: string): [string, string] | string {
  return parseLabel(text, 'node selector', '--node-selector kubernetes.io/arch=amd64');
}

export interface Toleration {
  key: string;
  operator: 'Equal' | 'Exists';
  value?: string;
  effect?: (typeof TAINT_EFFECTS)[number];
}

/**
 * `key=value:Effect` (Equal), `key:Effect` or `key` (Exists), `key=value` (every effect), as kubectl
 * writes taints. Returns the toleration or what is wrong with the text.
 */
export function parseToleration(text: string): Toleration | string {
  const usage = 'use KEY=VALUE:EFFECT, KEY:EFFECT or KEY, e.g. --toleration dedicated=ci:NoSchedule';
  const colon = text.lastIndexOf(':');
  const head = colon >= 0 ? text.slice(0, colon) : text;
  const effect = colon >= 0 ? text.slice(colon + 1) : undefined;
  if (effect !== undefined && !(TAINT_EFFECTS as readonly string[]).includes(effect)) {
    return `toleration "${text}": effect "${effect}" is not one of ${TAINT_EFFECTS.join(', ')}; ${usage}`;
  }
  const equals = head.indexOf('=');
  const key = equals >= 0 ? head.slice(0, equals) : head;
  if (!LABEL_KEY.test(key)) return `toleration "${text}": "${key}" is not a valid taint key; ${usage}`;
  const toleration: Toleration =
    equals >= 0 ? { key, operator: 'Equal', value: head.slice(equals + 1) } : { key, operator: 'Exists' };
  if (toleration.value !== undefined && !LABEL_VALUE.test(toleration.value)) {
    return `toleration "${text}": "${toleration.value}" is not a valid taint value; ${usage}`;
  }
  return effect ? { ...toleration, effect: effect as Toleration['effect'] } : toleration;
}

export function checkNodeSelector(text: string): string | undefined {
  const parsed = parseNodeSelector(text);
  return typeof parsed === 'string' ? parsed : undefined;
}

/** A Kubernetes label KEY=VALUE (a namespace's, say). */
export function checkLabel(text: string): string | undefined {
  const parsed = parseLabel(text, 'namespace label', '--namespace-label team=payments');
  return typeof parsed === 'string' ? parsed : undefined;
}

export function checkToleration(text: string): string | undefined {
  const parsed = parseToleration(text);
  return typeof parsed === 'string' ? parsed : undefined;
}

export interface PodOptions {
  podImage?: string;
  nodeSelector?: readonly string[];
  tolerations?: readonly string[];
}

/** The pod settings for real clusters, from the run's options (already checked). */
export function eksPodSettings(options: PodOptions): PodSettings {
  const nodeSelector = Object.fromEntries(
    (options.nodeSelector ?? []).map((text) => {
      const parsed = parseNodeSelector(text);
      if (typeof parsed === 'string') throw new Error(parsed);
      return parsed;
    }),
  );
  const tolerations = (options.tolerations ?? []).map((text) => {
    const parsed = parseToleration(text);
    if (typeof parsed === 'string') throw new Error(parsed);
    return { ...parsed };
  });
  return {
    image: options.podImage ?? EKS_POD_IMAGE,
    command: [...EKS_POD_COMMAND],
    imagePullPolicy: 'IfNotPresent',
    ...(Object.keys(nodeSelector).length > 0 ? { nodeSelector } : {}),
    ...(tolerations.length > 0 ? { tolerations } : {}),
    env: {},
  };
}
