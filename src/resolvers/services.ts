import type { CloudAccountService } from '../services/cloud-account.service';
import type { ExpenseService } from '../services/expense.service';
import type { K8sClusterService } from '../services/k8s-cluster.service';

/** The services resolvers call; built once in the composition root. */
export interface Services {
  expenses: ExpenseService;
  cloudAccounts: CloudAccountService;
  k8sClusters: K8sClusterService;
}
