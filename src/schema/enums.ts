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
  description: 'Where a cost comes from; a KUBERNETES account is one cluster.',
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
