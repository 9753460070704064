// Plays a video in place of its thumbnail: the link still opens the file where this script does not run.
(() => {
  const doc = document;

  function collapse(box) {
    const link = box.previousElementSibling;
    box.remove();
    if (link) link.hidden = false;
  }

  function play(link) {
    const box = doc.createElement("div");
    box.className = "video-box";
    const video = doc.createElement("video");
    video.src = link.href;
    video.controls = true;
    video.autoplay = true;
    video.loop = true;
    video.preload = "metadata";
    const w = Number(link.dataset.w);
    const h = Number(link.dataset.h);
    if (w > 0 && h > 0) {
      video.width = w;
      video.height = h;
    }
    const close = doc.createElement("a");
    close.href = link.href;
    close.className = "video-close";
    close.textContent = "[Close]";
    close.addEventListener("click", (e) => {
      e.preventDefault();
      collapse(box);
    });
    box.append(close, video);
    link.hidden = true;
    link.after(box);
  }

  doc.addEventListener("click", (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const target = e.target instanceof Element ? e.target : null;
    const link = target?.closest("a.file-video");
    if (!link || link.closest(".quote-preview")) return;
    e.preventDefault();
    play(link);
  });
})();
