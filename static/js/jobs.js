// Progress bars of running jobs follow their job without reloading (a JSON status every
// second); once a job ends, the page reloads to show its file or its error.
(function () {
  // widths are set here: the Content-Security-Policy allows no style attribute in the markup
  for (const bar of document.querySelectorAll('.job-progress .progress-bar')) {
    bar.style.width = bar.dataset.percent + '%';
  }
  const bars = Array.from(document.querySelectorAll('.job-progress'))
    .filter((el) => el.dataset.state === 'queued' || el.dataset.state === 'running');
  if (!bars.length) return;

  function show(el, status) {
    const bar = el.querySelector('.progress-bar');
    bar.style.width = status.percent + '%';
    bar.textContent = status.percent + '%';
    el.querySelector('.progress').setAttribute('aria-valuenow', status.percent);
    const counts = el.querySelector('.job-counts');
    if (status.step) {
      counts.textContent = status.step;  // the named step under way (a report's section)
    } else if (status.total && el.dataset.countsFormat) {
      const fmt = (n) => n.toLocaleString(document.documentElement.lang || undefined);
      counts.textContent =
        el.dataset.countsFormat.replace('%d', fmt(status.done)).replace('%t', fmt(status.total));
    } else if (status.state !== 'queued') {
      counts.textContent = '';  // no longer waiting for a worker
    }
  }

  async function poll() {
    let ended = false;
    for (const el of bars) {
      try {
        const answer = await fetch(el.dataset.statusUrl, { headers: { Accept: 'application/json' } });
        if (!answer.ok) continue;
        const status = await answer.json();
        show(el, status);
        if (status.state !== el.dataset.state && (status.state === 'done' || status.state === 'failed')) ended = true;
      } catch (e) { /* the next poll tries again */ }
    }
    if (ended) window.location.reload();
    else window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
