import { startDisplay } from '../../src/client/start-display';
import { defaultHostId, hostRouting, loadHostConfig } from '../../src/config-hosts';
import { parseDesignInput } from '../../src/contracts/parse-inputs';
import { routingFor } from '../../src/contracts/routing';

describe('host identity and routing', () => {
  test('a host id comes from AIML_HOST_ID, else the hostname made fit for a queue name', () => {
    expect(defaultHostId('build box.example.com')).toBe('build-box.example.com');
    expect(defaultHostId('--@@')).toBe('localhost');
    expect(loadHostConfig({ AIML_HOST_ID: 'gpu-1' }).hostId).toBe('gpu-1');
    expect(() => loadHostConfig({ AIML_HOST_ID: 'no spaces' })).toThrow(/AIML_HOST_ID/);
    expect(() => loadHostConfig({ AIML_SHARED_ACTIVITIES_PER_SECOND: '-1' })).toThrow(/AIML_SHARED_ACTIVITIES_PER_SECOND/);
    expect(loadHostConfig({ AIML_HOST_ID: 'a', AIML_SHARED_ACTIVITIES_PER_SECOND: '2.5' }).sharedActivitiesPerSecond).toBe(2.5);
    expect(hostRouting('aiml', { AIML_HOST_ID: 'gpu-1' })).toEqual({ host: 'gpu-1', hostQueue: 'aiml-host-gpu-1', sharedQueue: 'aiml' });
  });

  test('routing in a workflow input is checked like every other field', () => {
    const base = { brief: 'b', workspace: '/w' };
    expect(parseDesignInput({ ...base, routing: routingFor('aiml', 'a') })).toMatchObject({ ok: true });
    expect(parseDesignInput({ ...base, routing: { host: 'a' } })).toMatchObject({ ok: false });
    expect(parseDesignInput({ ...base, routing: { ...routingFor('aiml', 'a'), extra: 1 } })).toMatchObject({ ok: false });
  });

  test('the UI summary and details name the phase, brief, workspace, host and model', () => {
    const d = startDisplay('design', { brief: 'RAG over runbooks\nwith more lines', workspace: '/src/ops' }, { routing: routingFor('aiml', 'box'), model: 'gpt-4o-mini' });
    expect(d.staticSummary).toBe('design: RAG over runbooks');
    expect(d.staticDetails.split('  \n')).toEqual([
      '**Phase:** design',
      '**Brief:** RAG over runbooks',
      '**Workspace:** `/src/ops`',
      '**Host:** `box` (workspace work on `aiml-host-box`, model calls on `aiml`)',
      '**Model:** gpt-4o-mini',
    ]);
    expect(startDisplay('build', { specPath: 'SPECS.md', workspace: '/w`x' }).staticDetails).toContain("**Workspace:** `/w'x`");
  });
});
