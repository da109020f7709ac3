'use strict';
// The jobs page: every job of the cluster with its progress, and for the selected one its log-likelihood curve, its
// rollbacks, its shards and a recommendation explorer. Everything comes from this silo's /api routes, with the
// session cookie that /session set (from a sign-in link's token or the API key).
(function () {
  const $ = id => document.getElementById(id);
  const JOBS_EVERY_MS = 1000;
  const SHARDS_EVERY_MS = 5000;
  let selected = null;
  let shardsAsked = 0;
  let timer = null;

  class SignedOut extends Error {}

  async function request(method, path, body) {
    const options = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    if (response.status === 401) throw new SignedOut();
    if (response.status === 204) return null;
    const json = await response.json();
    if (!response.ok) throw new Error(json.detail || json.title || ('HTTP ' + response.status));
    return json;
  }

  const encode = s => encodeURIComponent(s);
  const number = n => n === null || n === undefined ? '' : Number(n).toLocaleString('en-US');

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return '';
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor(s % 3600 / 60) + ' min';
  }

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function showSignIn(message) {
    clearTimeout(timer);
    $('content').hidden = true;
    $('sign-out').hidden = true;
    $('sign-in').hidden = false;
    if (message) {
      $('sign-in-message').textContent = message;
      $('sign-in-message').className = 'error';
    }
  }

  function showContent() {
    $('sign-in').hidden = true;
    $('content').hidden = false;
    $('sign-out').hidden = false;
  }

  async function refresh() {
    try {
      const cluster = await request('GET', '/api/cluster');
      $('cluster').textContent = 'answered by ' + cluster.silo + ' · ' + cluster.activeSiloCount + ' active silo(s)';
      const listing = await request('GET', '/api/jobs');
      const statuses = await Promise.all(listing.map(j => request('GET', '/api/jobs/' + encode(j.job)).catch(() => null)));
      renderJobs(statuses.filter(s => s !== null));
      const current = statuses.find(s => s && s.job === selected);
      if (current) await renderJob(current);
      else if (selected !== null) { selected = null; $('job').hidden = true; }
    } catch (e) {
      if (e instanceof SignedOut) { showSignIn('The session ended; sign in again.'); return; }
      $('cluster').textContent = 'this silo did not answer: ' + e.message;
    }
    timer = setTimeout(refresh, JOBS_EVERY_MS);
  }

  function renderJobs(statuses) {
    const body = $('jobs').tBodies[0];
    body.replaceChildren();
    $('no-jobs').hidden = statuses.length > 0;
    for (const s of statuses) {
      const row = body.insertRow();
      row.dataset.job = s.job;
      if (s.job === selected) row.className = 'selected';
      cell(row, s.job);
      cell(row, s.sealing ? 'sealing' : s.state, 'state-' + s.state);
      cell(row, s.iteration + ' / ' + s.spec.training.maxIterations, 'number');
      cell(row, s.logLikelihood === null || s.logLikelihood === undefined ? '' : s.logLikelihood.toPrecision(8), 'number');
      cell(row, s.state === 'training' ? duration(s.remainingSeconds) : '', 'number');
      cell(row, number(s.data && s.data.users), 'number');
      cell(row, number(s.data && s.data.items), 'number');
      cell(row, number(s.data && s.data.nonzeros), 'number');
      cell(row, number(s.data && s.data.validationNonzeros), 'number');
      cell(row, String(s.rollbacks), 'number');
      row.addEventListener('click', () => select(s.job));
    }
  }

  function select(job) {
    if (selected !== job) {
      selected = job;
      shardsAsked = 0;
      $('recommendations').hidden = true;
      $('explorer-message').textContent = '';
    }
    for (const row of $('jobs').tBodies[0].rows) row.className = row.dataset.job === job ? 'selected' : '';
    // The address names the job, so a reload or a shared link shows it again.
    history.replaceState(null, '', location.pathname + location.search + '#job=' + encode(job));
    clearTimeout(timer);
    refresh();
  }

  async function renderJob(s) {
    $('job').hidden = false;
    $('job-title').textContent = s.job;
    const parts = [s.sealing ? 'sealing' : s.state, 'iteration ' + s.iteration, 'last checkpoint ' + s.lastCheckpoint,
      'trained ' + duration(s.elapsedSeconds)];
    if (s.stopReason) parts.push(s.stopReason);
    if (s.error) parts.push('error: ' + s.error);
    $('job-summary').textContent = parts.join(' · ');
    $('job-summary').className = s.error ? 'error' : '';

    const history = s.rollbackHistory || [];
    const bands = history.map(r => ({
      from: r.toCheckpoint,
      to: r.fromIteration === null || r.fromIteration === undefined ? r.toCheckpoint : r.fromIteration,
      title: 'back to iteration ' + r.toCheckpoint + ': ' + r.reason,
    }));
    const xMax = Math.max(s.iteration, ...history.map(r => r.fromIteration || 0));
    const curve = s.curve || [];
    LineChart.draw($('train-curve'), curve.map(p => ({ x: p.iteration, y: p.trainLogLikelihood })), bands, xMax);
    const validation = curve.filter(p => p.validationLogLikelihood !== null && p.validationLogLikelihood !== undefined);
    $('validation-figure').hidden = validation.length === 0;
    if (validation.length > 0) LineChart.draw($('validation-curve'), validation.map(p => ({ x: p.iteration, y: p.validationLogLikelihood })), bands, xMax);

    const rollbacks = $('rollbacks').tBodies[0];
    rollbacks.replaceChildren();
    for (const r of history.slice().reverse()) {
      const row = rollbacks.insertRow();
      cell(row, new Date(r.at).toLocaleString());
      cell(row, r.fromIteration === null || r.fromIteration === undefined ? '' : String(r.fromIteration), 'number');
      cell(row, String(r.toCheckpoint), 'number');
      cell(row, r.siloLost ? 'yes' : 'no');
      cell(row, r.reason);
    }
    $('rollbacks').hidden = history.length === 0;
    $('no-rollbacks').hidden = history.length > 0;

    // Asked seldom: the shards call activates any shard that is not running (not for a job with nothing in them).
    if (Date.now() - shardsAsked > SHARDS_EVERY_MS) {
      shardsAsked = Date.now();
      const titles = await request('GET', '/api/jobs/' + encode(s.job) + '/titles');
      $('titles-note').textContent = titles.count > 0
        ? titles.count.toLocaleString('en-US') + ' item titles'
        : 'Items show as ids: this job has no titles file (PUT /api/jobs/' + s.job + '/titles gives it one).';
      if (s.state === 'created') return;
      const shards = await request('GET', '/api/jobs/' + encode(s.job) + '/shards');
      const body = $('shards').tBodies[0];
      body.replaceChildren();
      for (const shard of shards) {
        const row = body.insertRow();
        cell(row, shard.shard);
        cell(row, shard.side);
        cell(row, shard.silo);
      }
    }
  }

  async function recommend(event) {
    event.preventDefault();
    const user = $('explorer-user').value.trim();
    const n = parseInt($('explorer-n').value, 10) || 10;
    if (!selected || user.length === 0) return;
    $('explorer-message').className = '';
    $('explorer-message').textContent = 'asking…';
    try {
      const answer = await request('POST', '/api/jobs/' + encode(selected) + '/recommendations', { user, n });
      // Titles, when the job was given a titles file (PUT /api/jobs/{job}/titles).
      const query = answer.items.map(i => 'item=' + encode(i.item)).join('&');
      const titles = answer.items.length > 0 ? (await request('GET', '/api/jobs/' + encode(selected) + '/titles?' + query)).titles : {};
      const withTitles = Object.keys(titles).length > 0;
      $('title-column').hidden = !withTitles;
      const body = $('recommendations').tBodies[0];
      body.replaceChildren();
      answer.items.forEach((item, i) => {
        const row = body.insertRow();
        cell(row, String(i + 1), 'number');
        cell(row, item.item);
        cell(row, titles[item.item] || '').hidden = !withTitles;
        cell(row, item.score.toPrecision(5), 'number');
      });
      $('recommendations').hidden = false;
      $('explorer-message').textContent = 'top ' + answer.items.length + ' for user ' + answer.user + ', served from ' +
        (answer.fromCheckpoint ? 'the checkpoint of iteration ' : 'the final model, iteration ') + answer.servedIteration;
    } catch (e) {
      if (e instanceof SignedOut) { showSignIn('The session ended; sign in again.'); return; }
      $('recommendations').hidden = true;
      $('explorer-message').className = 'error';
      $('explorer-message').textContent = e.message;
    }
  }

  async function signIn(body) {
    await request('POST', '/session', body);
    showContent();
    refresh();
  }

  async function start() {
    $('explorer').addEventListener('submit', recommend);
    $('sign-in-form').addEventListener('submit', event => {
      event.preventDefault();
      signIn({ apiKey: $('api-key').value }).catch(e => showSignIn(e instanceof SignedOut ? 'That is not this cluster\'s API key.' : e.message));
      $('api-key').value = '';
    });
    $('sign-out').addEventListener('click', () => request('DELETE', '/session').then(() => showSignIn('Signed out.')));

    // A sign-in link carries its one-time token in the fragment, which the browser never sends to a server; it is
    // taken out of the address bar before anything else happens.
    const fragment = new URLSearchParams(location.hash.slice(1));
    const login = fragment.get('login');
    selected = fragment.get('job');
    if (login) {
      history.replaceState(null, '', location.pathname + location.search + (selected ? '#job=' + encode(selected) : ''));
      try {
        await signIn({ token: login });
        return;
      } catch (e) {
        showSignIn(e instanceof SignedOut
          ? 'The sign-in link has expired or was used already: enter the API key, or run deploy/local-cluster.sh link for a new one.'
          : e.message);
        return;
      }
    }
    const session = await request('GET', '/session');
    if (session.signedIn) { showContent(); refresh(); } else showSignIn();
  }

  start();
})();
