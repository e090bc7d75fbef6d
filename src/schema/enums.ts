import { registerEnumType } from 'type-graphql';

// TypeScript enums mirror the domain's string unions so type-graphql can expose them; the values
// are the same strings, so domain and GraphQL values pass through unchanged.

export enum Provider {
  AWS = 'AWS',
  AZURE = 'AZURE',
  GCP = 'GCP',
  KUBERNETES = 'KUBERNETES',
  OTHER = 'OTHER',
}
registerEnumType(Provider, {
  name: 'Provider',
  description:
    'Where a cost comes from; a KUBERNETES account is one cluster; OTHER is any other FOCUS provider (Oracle, ...).',
});

export enum ExpenseOrderField {
  COST = 'COST',
  NAME = 'NAME',
}
registerEnumType(ExpenseOrderField, { name: 'ExpenseOrderField' });

export enum SortDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(SortDirection, { name: 'SortDirection' });

export enum BreakdownDimension {
  PROVIDER = 'PROVIDER',
  CLOUD_ACCOUNT = 'CLOUD_ACCOUNT',
  RESOURCE_TYPE = 'RESOURCE_TYPE',
  REGION = 'REGION',
  SERVICE = 'SERVICE',
  OWNER = 'OWNER',
  K8S_CLUSTER = 'K8S_CLUSTER',
  TAG = 'TAG',
}
registerEnumType(BreakdownDimension, {
  name: 'BreakdownDimension',
  description: 'What expenseBreakdown splits by; TAG needs tagKey. K8S_CLUSTER covers Kubernetes rows only.',
});

export enum K8sClusterStatus {
  HEALTHY = 'HEALTHY',
  STALE = 'STALE',
  NO_DATA = 'NO_DATA',
}
registerEnumType(K8sClusterStatus, {
  name: 'K8sClusterStatus',
  description:
    'From the age of the newest sample received: HEALTHY when recent, STALE when older, NO_DATA when none.',
});

export enum AggregationRunState {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  RETRYING = 'RETRYING',
}
registerEnumType(AggregationRunState, {
  name: 'AggregationRunState',
  description:
    'QUEUED: waiting for a worker; RUNNING: computing; RETRYING: an attempt failed on a transient error and the run waits for its next try; SUCCEEDED; FAILED: out of attempts, or an error a retry cannot fix.',
});

export enum AggregationWritten {
  NONE = 'NONE',
  NEW = 'NEW',
  CORRECTION = 'CORRECTION',
}
registerEnumType(AggregationWritten, {
  name: 'AggregationWritten',
  description:
    'What a run wrote: NONE (the stored figures were the same), NEW (a first row), CORRECTION (the stored row as -1 and the new one as +1).',
});

export enum K8sResourceKind {
  NODE = 'NODE',
  VOLUME = 'VOLUME',
}
registerEnumType(K8sResourceKind, {
  name: 'K8sResourceKind',
  description: 'A node (a cloud VM) or a persistent volume (a cloud disk) of a cluster.',
});
