// The home page's compliance alert: fetched after the page (the checks are cached, but a first
// view after a change computes them), so the home page itself stays fast.
(function () {
  const box = document.getElementById('compliance-alerts');
  if (!box) return;
  fetch(box.dataset.url, { headers: { Accept: 'text/html' } })
    .then((answer) => (answer.ok ? answer.text() : ''))
    .then((html) => { box.innerHTML = html; })
    .catch(() => { /* no alert rather than a broken page */ });
})();
