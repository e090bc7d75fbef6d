import 'reflect-metadata';
import { buildSchema, type ContainerType } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { CloudAccountResolver } from './cloud-account.resolver';
import { CostReportResolver } from './cost-report.resolver';
import { ExpenseResolver } from './expense.resolver';
import { K8sClusterResolver } from './k8s-cluster.resolver';
import { K8sClusterRegistrationResolver } from './k8s-cluster-registration.resolver';
import { AggregationRunResolver } from './aggregation-run.resolver';
import { FocusImportResolver } from './focus-import.resolver';
import { K8sReconciliationResolver } from './k8s-reconciliation.resolver';
import { K8sReconciledResourceResolver } from './k8s-reconciled-resource.resolver';
import { ApiTokenResolver } from './api-token.resolver';
import { K8sAllocationResolver, K8sClusterAllocationResolver } from './k8s-allocation.resolver';
import { BudgetAlertResolver, BudgetResolver, CostInsightResolver } from './budget.resolver';
import type { Services } from './services';

/** Every resolver class of the API, in the order they appear in the schema. */
export const RESOLVERS = [
  ExpenseResolver,
  CostReportResolver,
  CloudAccountResolver,
  K8sClusterResolver,
  K8sClusterRegistrationResolver,
  AggregationRunResolver,
  FocusImportResolver,
  K8sReconciliationResolver,
  K8sReconciledResourceResolver,
  ApiTokenResolver,
  K8sAllocationResolver,
  K8sClusterAllocationResolver,
  BudgetResolver,
  BudgetAlertResolver,
  CostInsightResolver,
] as const;

/**
 * Builds the executable schema. Resolvers get their services by constructor from this
 * container, so nothing in them reaches for globals. Without services (schema printing) the
 * resolvers are never instantiated.
 */
export async function buildGraphQLSchema(services?: Services): Promise<GraphQLSchema> {
  const allocation = services && new K8sAllocationResolver(services.allocation);
  const instances = services
    ? new Map<unknown, unknown>([
        [ExpenseResolver, new ExpenseResolver(services.expenses)],
        [CostReportResolver, new CostReportResolver(services.expenses)],
        [CloudAccountResolver, new CloudAccountResolver(services.cloudAccounts)],
        [K8sClusterResolver, new K8sClusterResolver(services.k8sClusters)],
        [K8sClusterRegistrationResolver, new K8sClusterRegistrationResolver(services.clusterRegistration)],
        [AggregationRunResolver, new AggregationRunResolver(services.aggregationRuns)],
        [FocusImportResolver, new FocusImportResolver(services.focusImport)],
        [K8sReconciliationResolver, new K8sReconciliationResolver(services.reconciliation)],
        [K8sReconciledResourceResolver, new K8sReconciledResourceResolver()],
        [ApiTokenResolver, new ApiTokenResolver(services.apiTokens)],
        [K8sAllocationResolver, allocation],
        [K8sClusterAllocationResolver, new K8sClusterAllocationResolver(allocation as K8sAllocationResolver)],
        [BudgetResolver, new BudgetResolver(services.budgets)],
        [BudgetAlertResolver, new BudgetAlertResolver()],
        [CostInsightResolver, new CostInsightResolver(services.insight)],
      ])
    : new Map<unknown, unknown>();
  const container: ContainerType = {
    get(someClass) {
      const instance = instances.get(someClass);
      if (!instance)
        throw new Error(`no resolver instance for ${String((someClass as { name?: string }).name)}`);
      return instance;
    },
  };
  return buildSchema({ resolvers: [...RESOLVERS], container, validate: false });
}
