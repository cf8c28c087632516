// What the browser test measures in a page: images, link targets, table widths, the banner.
() => {
  const href = (a) => a.getAttribute('href') || '';
  const banner = document.querySelector('.synthetic-banner');
  const shown = (el) => {
    if (!el) return false;
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  return {
    images: [...document.images].map(
      (i) => ({src: i.src.slice(0, 80), ok: i.complete && i.naturalWidth > 0})),
    anchors: [...document.querySelectorAll('a[href^="#"]')].map((a) => href(a).slice(1))
      .filter((id) => id && !document.getElementById(decodeURIComponent(id))),
    links: [...document.querySelectorAll('a[href]')].map(href)
      .filter((h) => h && !h.startsWith('#') && !/^(https?|mailto|data):/.test(h)),
    wide: [...document.querySelectorAll('table')]
      .map((t) => Math.round(t.getBoundingClientRect().width))
      .filter((w) => w > window.innerWidth),
    banner: shown(banner),
    text: document.body.innerText,
  };
}
