// FindMe guest pages: selfie downscaling before upload, live "my photos",
// the full view with swipe and arrow keys. Served as /static/guest.js; the pages'
// Content-Security-Policy allows no inline script, so everything is here.
"use strict";

const MAX_SELFIE_EDGE = 1600;

/** Downscales an image file to at most MAX_SELFIE_EDGE px as JPEG; the original
 *  when the browser cannot decode it (e.g. HEIC outside Safari) or it is small. */
async function downscale(file) {
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, MAX_SELFIE_EDGE / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.type === "image/jpeg") return file;
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.9));
    return blob ? new File([blob], "selfie.jpg", { type: "image/jpeg" }) : file;
  } catch {
    return file;
  }
}

function setupRegistration(form) {
  const error = document.getElementById("form-error");
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const file = data.get("selfie");
    if (file instanceof File && file.size > 0) data.set("selfie", await downscale(file));
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok && answer.me) {
        if (answer.link_path) sessionStorage.setItem("fm-link", location.origin + answer.link_path);
        location.assign(answer.me);
        return;
      }
      error.textContent = answer.error || "Something went wrong. Please try again.";
    } catch {
      error.textContent = "No connection to the server. Please try again.";
    }
    error.hidden = false;
    button.disabled = false;
  });
}

function tile(photo) {
  const a = document.createElement("a");
  a.className = "tile";
  a.href = photo.full;
  a.dataset.sha = photo.sha256;
  const img = document.createElement("img");
  img.src = photo.grid;
  img.alt = photo.captured_at ? `Photo taken ${photo.captured_at}` : "Photo";
  img.loading = "lazy";
  a.append(img);
  return a;
}

function setupMyPhotos(grid) {
  const empty = document.getElementById("empty");
  const viewer = document.getElementById("viewer");
  const viewerImage = document.getElementById("viewer-image");
  const viewerDownload = document.getElementById("viewer-download");
  const base = `/e/${grid.dataset.event}/me`;
  let open = -1;

  const tiles = () => Array.from(grid.querySelectorAll("a.tile"));
  const show = (index) => {
    const list = tiles();
    if (list.length === 0) return close();
    open = (index + list.length) % list.length;
    const href = list[open].getAttribute("href");
    viewerImage.src = href;
    viewerDownload.href = `${href}?download=1`;
    viewer.hidden = false;
  };
  const close = () => {
    viewer.hidden = true;
    viewerImage.removeAttribute("src");
    open = -1;
  };

  grid.addEventListener("click", (event) => {
    const a = event.target.closest("a.tile");
    if (!a) return;
    event.preventDefault();
    show(tiles().indexOf(a));
  });
  document.getElementById("viewer-prev").addEventListener("click", () => show(open - 1));
  document.getElementById("viewer-next").addEventListener("click", () => show(open + 1));
  document.getElementById("viewer-close").addEventListener("click", close);
  document.addEventListener("keydown", (event) => {
    if (viewer.hidden) return;
    if (event.key === "ArrowLeft") show(open - 1);
    else if (event.key === "ArrowRight") show(open + 1);
    else if (event.key === "Escape") close();
  });
  let touchX = null;
  viewer.addEventListener("touchstart", (e) => (touchX = e.touches[0].clientX), { passive: true });
  viewer.addEventListener("touchend", (e) => {
    if (touchX === null) return;
    const dx = e.changedTouches[0].clientX - touchX;
    touchX = null;
    if (Math.abs(dx) > 40) show(open + (dx < 0 ? 1 : -1));
  });

  // New photos without reload: the list is revalidated (ETag, 304 when nothing
  // changed) every few seconds while the page is visible.
  async function refresh() {
    if (document.hidden) return;
    try {
      const response = await fetch(`${base}/photos.json`, {
        cache: "no-cache",
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const { photos } = await response.json();
      const existing = new Map(tiles().map((a) => [a.dataset.sha, a]));
      const wanted = photos.map((p) => existing.get(p.sha256) || tile(p));
      const same =
        wanted.length === existing.size && wanted.every((a, i) => tiles()[i] === a);
      if (!same) grid.replaceChildren(...wanted);
      empty.hidden = photos.length > 0;
      document.getElementById("actions").hidden = photos.length === 0;
    } catch {
      // offline for a moment: the next round tries again
    }
  }
  setInterval(refresh, 4000);
  document.addEventListener("visibilitychange", refresh);

  const link = document.getElementById("link");
  const kept = sessionStorage.getItem("fm-link");
  if (kept) {
    link.textContent = kept;
    link.closest("details").open = true;
    sessionStorage.removeItem("fm-link");
  }
  const linkForm = document.getElementById("link-form");
  linkForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(linkForm.action, {
      method: "POST",
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({}));
    link.textContent = answer.link_path ? location.origin + answer.link_path : "Please try again.";
  });
}

const form = document.getElementById("register");
if (form) setupRegistration(form);
const grid = document.getElementById("grid");
if (grid) setupMyPhotos(grid);
