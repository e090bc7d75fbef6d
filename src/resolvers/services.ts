import type { CloudAccountService } from '../services/cloud-account.service';
import type { ExpenseService } from '../services/expense.service';
import type { K8sClusterService } from '../services/k8s-cluster.service';
import type { ClusterRegistrationService } from '../services/cluster-registration.service';
import type { AggregationRunService } from '../services/aggregation-run.service';
import type { FocusImportService } from '../import/focus-import.service';
import type { K8sReconciliationService } from '../services/k8s-reconciliation.service';
import type { TokenService } from '../services/token.service';
import type { K8sAllocationService } from '../services/k8s-allocation.service';
import type { BudgetService } from '../services/budget.service';
import type { CostInsightService } from '../services/cost-insight.service';
import type { ResourceDirectory } from '../domain/ports';

/** The services resolvers call; built once in the composition root. */
export interface Services {
  expenses: ExpenseService;
  cloudAccounts: CloudAccountService;
  k8sClusters: K8sClusterService;
  clusterRegistration: ClusterRegistrationService;
  /** Queues cluster-day aggregation runs and lists them (BullMQ on Redis). */
  aggregationRuns: AggregationRunService;
  /** FOCUS cost exports from the server's import folder. */
  focusImport: FocusImportService;
  /** Cluster costs matched to the bills (estimate vs bill), and billed resources' clusters. */
  reconciliation: K8sReconciliationService;
  /** API tokens: revocation by their own organization. */
  apiTokens: TokenService;
  /** Cluster costs by namespace, controller, pod, container, node or label. */
  allocation: K8sAllocationService;
  /** Budgets, their state in the current period, their alerts. */
  budgets: BudgetService;
  /** Cost forecasts and anomalies. */
  insight: CostInsightService;
  /**
   * Resource details from MongoDB (MONGODB_URL), the system of record; absent on the embedded
   * default, where an expense row carries them from its own ClickHouse query.
   */
  resources?: ResourceDirectory;
}
