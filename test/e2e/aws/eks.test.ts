import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EKS_AUTH_PROVIDER, eksKubeConfig } from '../../../src/kube/eks-token.js';
import { type Moto, startMoto } from '../../support/moto.js';

// eksKubeConfig against moto's EKS: the endpoint and CA come from a real DescribeCluster answer.

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

describe('eksKubeConfig on moto', () => {
  it('builds a kubeconfig from DescribeCluster whose user is the in-process token', async () => {
    const eks = new EKSClient({
      region: 'eu-west-1',
      endpoint: moto.endpoint,
      credentials: moto.credentials,
    });
    const created = await eks.send(
      new CreateClusterCommand({
        name: 'prod-cluster',
        roleArn: 'arn:aws:iam::123456789012:role/eks',
        resourcesVpcConfig: { subnetIds: ['subnet-1', 'subnet-2'] },
      }),
    );
    const kc = await eksKubeConfig({
      name: 'prod-cluster',
      region: 'eu-west-1',
      credentials: moto.credentials,
      eksEndpoint: moto.endpoint,
    });
    const cluster = kc.getCurrentCluster();
    expect(cluster?.server).toBe(created.cluster?.endpoint);
    expect(cluster?.caData).toBe(created.cluster?.certificateAuthority?.data);
    expect(kc.getCurrentUser()?.authProvider).toEqual({
      name: EKS_AUTH_PROVIDER,
      config: { cluster: 'prod-cluster', region: 'eu-west-1' },
    });
  });

  it('names the cluster when DescribeCluster does not know it', async () => {
    await expect(
      eksKubeConfig({
        name: 'missing',
        region: 'eu-west-1',
        credentials: moto.credentials,
        eksEndpoint: moto.endpoint,
      }),
    ).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(
        /^eks:DescribeCluster missing in eu-west-1 \(cluster.eks\): ResourceNotFoundException/,
      ),
    });
  });
});
