import { billResourceKey, clusterResourceKeys } from '../../src/k8s-cost/provider-id';

/** Whether a cluster resource and a bill line name the same machine or disk, and how. */
function match(
  kind: 'node' | 'volume',
  providerId: string,
  provider: string,
  resourceId: string,
  subAccountId: string | null = null,
): 'exact' | 'name' | 'scaleSet' | null {
  const keys = clusterResourceKeys(kind, providerId);
  const bill = billResourceKey(provider, resourceId, subAccountId);
  if (!bill) return null;
  return keys[bill.kind] === bill.key ? bill.kind : null;
}

describe('AWS', () => {
  const node = 'aws:///us-east-1a/i-0a1b2c3d4e5f60718';
  it('matches an instance by bare id and by ARN', () => {
    expect(match('node', node, 'aws', 'i-0a1b2c3d4e5f60718')).toBe('exact');
    expect(
      match('node', node, 'aws', 'arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60718'),
    ).toBe('exact');
  });
  it('does not match another instance, a volume ARN or another provider', () => {
    expect(match('node', node, 'aws', 'i-0a1b2c3d4e5f60719')).toBeNull();
    expect(
      match('node', node, 'aws', 'arn:aws:ec2:us-east-1:123456789012:volume/i-0a1b2c3d4e5f60718'),
    ).toBeNull();
    expect(match('node', node, 'gcp', 'i-0a1b2c3d4e5f60718')).toBeNull();
  });
  it('matches volumes, bare or zoned, to bare ids and volume ARNs', () => {
    for (const pv of ['vol-0abc1234def567890', 'aws://us-east-1a/vol-0abc1234def567890']) {
      expect(match('volume', pv, 'aws', 'vol-0abc1234def567890')).toBe('exact');
      expect(
        match('volume', pv, 'aws', 'arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc1234def567890'),
      ).toBe('exact');
    }
  });
  it('never matches a node to a volume line or a volume to an instance line', () => {
    expect(clusterResourceKeys('node', 'vol-0abc1234def567890').exact).toBeNull();
    expect(clusterResourceKeys('volume', node).exact).toBeNull();
  });
  it('ignores an S3 bucket and ids of unknown shape', () => {
    expect(billResourceKey('aws', 'arn:aws:s3:::my-bucket')).toBeNull();
    expect(billResourceKey('aws', '')).toBeNull();
    expect(clusterResourceKeys('node', 'kind://docker/kind/kind-control-plane')).toEqual({
      exact: null,
      name: null,
      scaleSet: null,
    });
  });
});

describe('GCP', () => {
  const node = 'gce://my-project/us-central1-a/gke-pool-1-abcd';
  it('matches the compute API path of the instance', () => {
    expect(
      match(
        'node',
        node,
        'gcp',
        '//compute.googleapis.com/projects/my-project/zones/us-central1-a/instances/gke-pool-1-abcd',
      ),
    ).toBe('exact');
    expect(
      match('node', node, 'gcp', 'projects/my-project/zones/us-central1-a/instances/gke-pool-1-abcd'),
    ).toBe('exact');
  });
  it('matches a bare instance name only within the same project', () => {
    expect(match('node', node, 'gcp', 'gke-pool-1-abcd', 'my-project')).toBe('name');
    expect(match('node', node, 'gcp', 'gke-pool-1-abcd', 'other-project')).toBeNull();
    expect(match('node', node, 'gcp', 'gke-pool-1-abcd')).toBeNull();
  });
  it('does not match another zone or an instance path for a disk', () => {
    expect(
      match('node', node, 'gcp', 'projects/my-project/zones/us-central1-b/instances/gke-pool-1-abcd'),
    ).toBeNull();
    expect(
      match('node', node, 'gcp', 'projects/my-project/zones/us-central1-a/disks/gke-pool-1-abcd'),
    ).toBeNull();
  });
  it('matches persistent disks by path', () => {
    const disk = 'projects/my-project/zones/us-central1-a/disks/pvc-3f1e';
    expect(match('volume', disk, 'gcp', `//compute.googleapis.com/${disk}`)).toBe('exact');
    expect(match('volume', 'gce://my-project/us-central1-a/pvc-3f1e', 'gcp', disk)).toBe('exact');
    expect(match('volume', disk, 'gcp', 'pvc-3f1e', 'my-project')).toBe('name');
  });
});

describe('Azure', () => {
  const vm =
    'azure:///subscriptions/0000-1111/resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachines/aks-node-1';
  const vmssNode =
    'azure:///subscriptions/0000-1111/resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-123-vmss/virtualMachines/3';
  it('matches a VM case-insensitively', () => {
    expect(
      match(
        'node',
        vm,
        'azure',
        '/subscriptions/0000-1111/resourcegroups/mc_rg_aks_westeurope/providers/microsoft.compute/virtualmachines/aks-node-1',
      ),
    ).toBe('exact');
  });
  it('matches a scale-set instance exactly, and its scale set as a shared line', () => {
    expect(
      match(
        'node',
        vmssNode,
        'azure',
        '/SUBSCRIPTIONS/0000-1111/RESOURCEGROUPS/MC_RG_AKS_WESTEUROPE/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINESCALESETS/AKS-NODEPOOL1-123-VMSS/VIRTUALMACHINES/3',
      ),
    ).toBe('exact');
    expect(
      match(
        'node',
        vmssNode,
        'azure',
        '/subscriptions/0000-1111/resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-123-vmss',
      ),
    ).toBe('scaleSet');
  });
  it('does not match another instance of the scale set exactly, nor a VM to a scale set', () => {
    expect(
      match(
        'node',
        vmssNode,
        'azure',
        '/subscriptions/0000-1111/resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-123-vmss/virtualMachines/4',
      ),
    ).toBeNull();
    expect(clusterResourceKeys('node', vm).scaleSet).toBeNull();
  });
  it('matches managed disks', () => {
    const disk =
      '/subscriptions/0000-1111/resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/disks/pvc-3f1e';
    expect(match('volume', `azure://${disk}`, 'azure', disk.toLowerCase())).toBe('exact');
  });
});
