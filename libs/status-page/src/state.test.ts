import { describe, expect, it } from 'vitest';
import type { SparkEvent } from '@sparkwire/proto';
import { syntheticApplication, type SyntheticAppSpec } from '@sparkwire/testkit';
import { StatusState } from './state';
import { startStatusServer } from './server';
import { STATUS_PAGE_HTML } from './page';

const SPEC: SyntheticAppSpec = { appId: 'app-1', appName: 'etl', stagesPerJob: [2, 1], tasksPerStage: 10, executors: 2, sqlExecutions: 0, failedTasks: 1, streamingProgress: 2 };

/** Events up to (not including) the first that matches. */
const until = (events: SparkEvent[], pred: (e: SparkEvent) => boolean) => events.slice(0, events.findIndex(pred));

describe('StatusState', () => {
  it('counts task progress per stage and job; a retried task counts once, its failure is shown', () => {
    const all = syntheticApplication(SPEC);
    const s = new StatusState();
    // Stage 0 has its first 4 task ends (the first is the injected failure, then its retry succeeds).
    let ends = 0;
    const cut = all.findIndex((e) => e.body?.$case === 'taskEnd' && ++ends === 5);
    s.onEvents(all.slice(0, cut));
    let app = s.view().apps[0];
    expect(app).toMatchObject({ appId: 'app-1', appName: 'etl', status: 'running', executors: 2 });
    const st0 = app.stages.find((x) => x.stageId === 0)!;
    expect(st0).toMatchObject({ status: 'running', numTasks: 10, completedTasks: 3, failedTasks: 1, runningTasks: 1, jobId: 0 });
    expect(app.jobs[0]).toMatchObject({ jobId: 0, status: 'running', numTasks: 10, completedTasks: 3 });

    s.onEvents(until(all.slice(cut), (e) => e.body?.$case === 'jobStart' && e.body.value.jobId === 1));
    app = s.view().apps[0];
    expect(app.stages.map((x) => [x.stageId, x.status, x.completedTasks, x.numTasks])).toEqual([
      [1, 'succeeded', 10, 10],
      [0, 'succeeded', 10, 10],
    ]);
    expect(app.jobs[0]).toMatchObject({ jobId: 0, status: 'succeeded', numTasks: 20, completedTasks: 20 });

    s.onEvents(all.slice(all.findIndex((e) => e.body?.$case === 'jobStart' && e.body.value.jobId === 1)));
    app = s.view().apps[0];
    expect(app.status).toBe('ended');
    expect(app.executors).toBe(0);
    expect(app.jobs.map((j) => [j.jobId, j.status])).toEqual([
      [1, 'succeeded'],
      [0, 'succeeded'],
    ]);
    expect(app.queries).toHaveLength(1);
    expect(app.queries[0]).toMatchObject({ name: 'rate-to-console', status: 'terminated' });
    expect(app.queries[0].batches.map((b) => b.batchId)).toEqual([1, 0]);
  });

  it('without task events, a completed stage shows all its tasks done', () => {
    const s = new StatusState();
    s.onEvents(syntheticApplication(SPEC).filter((e) => e.body?.$case !== 'taskStart' && e.body?.$case !== 'taskEnd'));
    expect(s.view().apps[0].stages.every((x) => x.completedTasks === 10 && x.numTasks === 10)).toBe(true);
  });

  it('stays bounded: apps, jobs, stages and batches are capped, finished ones go first', () => {
    let t = 1_000_000;
    const s = new StatusState({ maxApps: 3, maxJobs: 4, maxStages: 5, maxBatches: 2, now: () => t });
    // A running application with many jobs: only the newest 4 jobs and 5 stages are kept.
    const running = syntheticApplication({ ...SPEC, appId: 'running', stagesPerJob: [1, 1, 1, 1, 1, 1, 1, 1], tasksPerStage: 2, streamingProgress: 6 }).filter((e) => e.body?.$case !== 'applicationEnd');
    s.onEvents(running);
    for (let i = 0; i < 5; i++) {
      t += 1000;
      s.onEvents(syntheticApplication({ ...SPEC, appId: `ended-${i}` }));
    }
    const v = s.view();
    expect(v.apps).toHaveLength(3);
    // The running one survives the ended ones, which go oldest first.
    expect(v.apps.map((a) => a.appId)).toEqual(['running', 'ended-4', 'ended-3']);
    const r = v.apps[0];
    expect(r.jobs.map((j) => j.jobId)).toEqual([7, 6, 5, 4]);
    expect(r.stages.map((x) => x.stageId)).toEqual([7, 6, 5, 4, 3]);
    expect(r.queries[0].batches.map((b) => b.batchId)).toEqual([5, 4]);
    expect(v.evicted).toEqual({ apps: 3, jobs: 4, stages: 3 });
  });

  it('a running stage is kept over finished ones at the cap', () => {
    const s = new StatusState({ maxStages: 2 });
    const all = syntheticApplication({ ...SPEC, stagesPerJob: [3], tasksPerStage: 2 });
    // Up to stage 2 submitted: stages 0 and 1 are done, 2 is running.
    s.onEvents(until(all, (e) => e.body?.$case === 'taskStart' && e.body.value.stageId === 2));
    expect(s.view().apps[0].stages.map((x) => [x.stageId, x.status])).toEqual([
      [2, 'running'],
      [1, 'succeeded'],
    ]);
  });

  it('event rate: events per second over the last 10 whole seconds', () => {
    let t = 10_000_000;
    const s = new StatusState({ now: () => t });
    const evs = syntheticApplication(SPEC);
    for (let i = 0; i < 10; i++) {
      s.onEvents(evs.slice(i * 5, i * 5 + 5));
      t += 1000;
    }
    expect(s.view().eventsPerSecond).toBe(5);
    t += 20_000;
    expect(s.view().eventsPerSecond).toBe(0);
    expect(s.view().eventsTotal).toBe(50);
  });
});

describe('status server', () => {
  const token = 'a-status-token-0123456789';
  it('serves the page and the JSON; with a token: 401 without it, bearer, or ?token= once then a cookie', async () => {
    const state = new StatusState();
    state.onEvents(syntheticApplication(SPEC));
    const sidecar = () => ({ startedMs: 0, sink: 'sparkwire.kafka', health: { 'sparkwire.kafka': 'SERVING' }, events: { received: 1, published: 1, duplicates: 0, filtered: 0 }, sidecarDrops: {}, clients: [] });
    const srv = await startStatusServer({ host: '127.0.0.1', port: 0, token, state, sidecar });
    try {
      const base = `http://${srv.address}`;
      expect((await fetch(`${base}/status`)).status).toBe(401);
      expect((await fetch(`${base}/status/api`)).status).toBe(401);
      expect((await fetch(`${base}/status/api`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      const api = await fetch(`${base}/status/api`, { headers: { authorization: `Bearer ${token}` } });
      expect(api.status).toBe(200);
      const body = (await api.json()) as { apps: { appId: string }[]; sidecar: { health: Record<string, string> } };
      expect(body.apps[0].appId).toBe('app-1');
      expect(body.sidecar.health['sparkwire.kafka']).toBe('SERVING');
      const login = await fetch(`${base}/status?token=${token}`, { redirect: 'manual' });
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toBe('/status');
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      expect(login.headers.get('set-cookie')).toContain('HttpOnly');
      const page = await fetch(`${base}/status`, { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(STATUS_PAGE_HTML);
      expect((await fetch(`${base}/status/api`, { headers: { cookie } })).status).toBe(200);
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      await srv.close();
    }
  });
});
