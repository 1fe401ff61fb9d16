import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCedarPolicyEngine } from '../../core/policy/cedar-engine.ts';
import { PolicySetError } from '../../core/policy/policy-set.ts';
import type { ChangeFacts, PolicyEngine } from '../../core/policy.ts';
import { entitiesFromSeed } from '../../local/policy-entities.ts';
import { loadSeed, type Seed } from '../../local/seed.ts';

const policyDir = fileURLToPath(new URL('../../policies/', import.meta.url));
const schemaText = readFileSync(join(policyDir, 'schema.cedarschema'), 'utf8');
const policiesText = Object.fromEntries(
  readdirSync(policyDir)
    .filter((name) => name.endsWith('.cedar'))
    .map((name) => [name, readFileSync(join(policyDir, name), 'utf8')]),
);

const change = (overrides: Partial<ChangeFacts> = {}): ChangeFacts => ({
  requestedBy: 'alice@example.com',
  clusterName: 'demo',
  principalArn: 'arn:aws:iam::111122223333:role/developers',
  entryType: 'STANDARD',
  reason: 'OPS-1234 deploy rights for the release week',
  groupsAdded: ['deployers'],
  groupsRemoved: [],
  usernameBefore: 'developers',
  usernameAfter: 'developers',
  ...overrides,
});

let seed: Seed;
let engine: PolicyEngine;

beforeAll(async () => {
  seed = await loadSeed();
  engine = createCedarPolicyEngine({
    policiesText,
    schemaText,
    entities: entitiesFromSeed(seed),
  });
});

describe('Function: createCedarPolicyEngine, default policies', () => {
  it('refuses a requester approving their own request, with the reason', () => {
    const facts = change({ requestedBy: 'bob@example.com' });

    const decision = engine.evaluateDecision('bob@example.com', facts);

    expect(decision).toEqual({
      allowed: false,
      reasons: ['The requester may not approve or reject their own request'],
      policyIds: ['no-self-approval'],
    });
  });

  it('lets an approver decide someone else’s request', () => {
    const decision = engine.evaluateDecision('carol@example.com', change());

    expect(decision.allowed).toBe(true);
    expect(decision.policyIds).toEqual(['approvers-decide']);
  });

  it('refuses a user outside platform-approvers', () => {
    const decision = engine.evaluateDecision('dave@example.com', change());

    expect(decision).toEqual({
      allowed: false,
      reasons: [
        'Only members of platform-approvers may approve or reject changes',
      ],
      policyIds: ['only-approvers-decide'],
    });
  });

  it('requires two approvals to add cluster-admins', () => {
    const facts = change({ groupsAdded: ['cluster-admins'] });

    const decision = engine.evaluateIntake(facts);

    expect(decision).toMatchObject({
      allowed: true,
      approvalsRequired: 2,
      autoApproved: false,
    });
    expect(decision.policyIds).toContain('privileged-groups-need-two');
  });

  it('requires one approval for an ordinary change', () => {
    const decision = engine.evaluateIntake(change());

    expect(decision).toMatchObject({ approvalsRequired: 1 });
    expect(decision.policyIds).toEqual([
      'requesters-may-request',
      'one-approval',
    ]);
  });

  it('approves a change that only removes groups automatically', () => {
    const facts = change({ groupsAdded: [], groupsRemoved: ['viewers'] });

    const decision = engine.evaluateIntake(facts);

    expect(decision).toMatchObject({
      allowed: true,
      approvalsRequired: 0,
      autoApproved: true,
    });
    expect(decision.policyIds).toContain('auto-approve-removals');
  });

  it('does not approve a removal automatically when the username changes', () => {
    const facts = change({
      groupsAdded: [],
      groupsRemoved: ['viewers'],
      usernameAfter: 'developers:{{SessionName}}',
    });

    const decision = engine.evaluateIntake(facts);

    expect(decision).toMatchObject({
      approvalsRequired: 1,
      autoApproved: false,
    });
  });

  it('denies a duration over 7 days at intake, with the reason', () => {
    const decision = engine.evaluateIntake(change({ durationMinutes: 10081 }));

    expect(decision).toEqual({
      allowed: false,
      reasons: ['durationMinutes may be at most 10080 (7 days)'],
      policyIds: ['duration-at-most-7-days'],
      approvalsRequired: 0,
      autoApproved: false,
    });
  });

  it('allows a duration of exactly 7 days', () => {
    const decision = engine.evaluateIntake(change({ durationMinutes: 10080 }));

    expect(decision.allowed).toBe(true);
  });

  it('lets an auditor read every request and the whole audit', () => {
    const one = engine.evaluateRead('auditor@example.com', change());
    const all = engine.evaluateRead('auditor@example.com');

    expect([one.allowed, all.allowed]).toEqual([true, true]);
    expect(all.policyIds).toEqual(['auditors-read-everything']);
  });

  it('lets the requester read their own request but not the whole audit', () => {
    const own = engine.evaluateRead('alice@example.com', change());
    const all = engine.evaluateRead('alice@example.com');

    expect(own.policyIds).toEqual(['requester-reads-own']);
    expect([own.allowed, all.allowed]).toEqual([true, false]);
  });

  it('lets a stranger read nothing', () => {
    const one = engine.evaluateRead('mallory@example.com', change());
    const all = engine.evaluateRead('mallory@example.com');

    expect([one.allowed, all.allowed]).toEqual([false, false]);
    expect(one.reasons).toEqual([
      'No policy allows mallory@example.com to read this request',
    ]);
  });

  it('treats identities case-insensitively', () => {
    const facts = change({ requestedBy: 'Bob@Example.com' });

    const decision = engine.evaluateDecision('BOB@example.com', facts);

    expect(decision.policyIds).toEqual(['no-self-approval']);
  });
});

describe('Function: createCedarPolicyEngine, failing closed', () => {
  it('denies when a policy errors, where Cedar alone would skip it', () => {
    // The forbid reads an attribute of a cluster the entities do not hold;
    // Cedar skips an erroring forbid, which would let the change through.
    const policies = `
      @id("allow") @reason("allowed")
      permit (principal, action == Action::"RequestChange", resource);
      @id("admins") @reason("no privileged groups")
      forbid (principal, action == Action::"RequestChange", resource)
      when { context.groupsAdded.containsAny(resource.cluster.privilegedGroups) };`;
    const strict = createCedarPolicyEngine({
      policiesText: policies,
      schemaText,
      entities: [],
    });

    const decision = strict.evaluateIntake(change());

    expect(decision.allowed).toBe(false);
    expect(decision.policyIds).toEqual(['admins']);
    expect(decision.reasons[0]).toMatch(/^Policy admins could not be/);
  });

  it('denies a change to a cluster missing from the entities', () => {
    const decision = engine.evaluateIntake(change({ clusterName: 'other' }));

    expect(decision.policyIds).toEqual(['known-clusters-only']);
  });
});

describe('Function: createCedarPolicyEngine, loading', () => {
  it('throws naming the policy that has no @id', () => {
    const build = () =>
      createCedarPolicyEngine({
        policiesText: {
          'extra.cedar': 'permit (principal, action, resource);',
        },
        schemaText,
        entities: [],
      });

    expect(build).toThrow(PolicySetError);
    expect(build).toThrow(/extra\.cedar:1: policy has no @id/);
  });

  it('throws naming the file and line of a policy that fails validation', () => {
    const build = () =>
      createCedarPolicyEngine({
        policiesText: {
          ...policiesText,
          'typo.cedar': [
            '@id("typo") @reason("typo")',
            'forbid (principal, action == Action::"Approve", resource)',
            'when { context.requestr == principal };',
          ].join('\n'),
        },
        schemaText,
        entities: [],
      });

    expect(build).toThrow(/typo\.cedar:3:8 \[typo\]: .*`requestr`/);
  });

  it('throws when two policies share an @id', () => {
    const policy =
      '@id("same") @reason("r")\npermit (principal, action, resource);';

    const build = () =>
      createCedarPolicyEngine({
        policiesText: { 'a.cedar': policy, 'b.cedar': policy },
        entities: [],
      });

    expect(build).toThrow(
      /b\.cedar:1 \[same\]: @id "same" is also used at a\.cedar:1/,
    );
  });

  it('throws when @approvals is not a positive integer', () => {
    const build = () =>
      createCedarPolicyEngine({
        policiesText:
          '@id("x") @reason("r") @approvals("two")\npermit (principal, action, resource);',
        entities: [],
      });

    expect(build).toThrow(/@approvals\("two"\) is not a positive integer/);
  });

  it('throws when the entities do not match the schema', () => {
    const build = () =>
      createCedarPolicyEngine({
        policiesText,
        schemaText,
        entities: [
          {
            uid: { type: 'Cluster', id: 'demo' },
            attrs: { privilegedGroups: 'cluster-admins' },
            parents: [],
          },
        ],
      });

    expect(build).toThrow(PolicySetError);
  });
});

describe('Function: entitiesFromSeed', () => {
  it('makes users children of their groups and gives clusters their tags', () => {
    const entities = entitiesFromSeed(seed);

    expect(entities).toContainEqual({
      uid: { type: 'User', id: 'bob@example.com' },
      attrs: {},
      parents: [{ type: 'Group', id: 'platform-approvers' }],
    });
    expect(entities).toContainEqual({
      uid: { type: 'Cluster', id: 'demo' },
      attrs: { privilegedGroups: ['cluster-admins'] },
      parents: [],
      tags: { environment: 'demo' },
    });
  });
});
