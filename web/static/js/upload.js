// qc: upload several recordings, one request each, with progress.
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }
  function localInputValue(date) {
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }
  function sizeLabel(bytes) {
    return bytes > 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.ceil(bytes / 1024) + " KB";
  }

  function init() {
    const form = document.getElementById("upload-form");
    if (!form || form.dataset.bound) return;
    form.dataset.bound = "1";
    const input = form.querySelector("input[type=file]");
    const list = document.getElementById("upload-list");
    const body = list.querySelector("tbody");
    const button = document.getElementById("upload-button");
    const error = document.getElementById("upload-error");
    let rows = [];

    input.addEventListener("change", () => {
      body.innerHTML = "";
      rows = Array.from(input.files).map((file) => {
        const tr = document.createElement("tr");
        const name = document.createElement("td");
        name.textContent = `${file.name} (${sizeLabel(file.size)})`;
        const when = document.createElement("td");
        const started = document.createElement("input");
        started.type = "datetime-local";
        started.value = localInputValue(new Date(file.lastModified || Date.now()));
        started.setAttribute("aria-label", `Start time of ${file.name}`);
        when.appendChild(started);
        const progressCell = document.createElement("td");
        const progress = document.createElement("progress");
        progress.max = 100; progress.value = 0;
        progressCell.appendChild(progress);
        const result = document.createElement("td");
        result.className = "result";
        tr.append(name, when, progressCell, result);
        body.appendChild(tr);
        return { file, started, progress, result };
      });
      list.hidden = rows.length === 0;
      button.disabled = rows.length === 0;
      button.textContent = rows.length > 1 ? `Upload ${rows.length} recordings` : "Upload";
    });

    function send(row) {
      return new Promise((resolve) => {
        const data = new FormData();
        data.append("file", row.file);
        for (const field of ["rep", "direction", "channels", "language"]) {
          data.append(field, form.elements[field].value);
        }
        data.append("started_at", new Date(row.started.value).toISOString());
        const xhr = new XMLHttpRequest();
        xhr.open("POST", form.dataset.endpoint);
        xhr.setRequestHeader("X-CSRFToken", window.qcCsrfToken());
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.addEventListener("progress", (e) => {
          if (e.lengthComputable) row.progress.value = Math.round((e.loaded / e.total) * 100);
        });
        xhr.addEventListener("load", () => {
          let payload = {};
          try { payload = JSON.parse(xhr.responseText); } catch (e) { payload = { detail: xhr.responseText }; }
          row.result.textContent = "";
          row.progress.value = 100;  // the bytes arrived; the result says what became of them
          if (xhr.status === 201 || xhr.status === 200) {
            const link = document.createElement("a");
            link.href = payload.links.page;
            link.textContent = xhr.status === 201 ? "Uploaded, open call" : "Already uploaded, open call";
            link.className = xhr.status === 201 ? "ok" : "dup";
            row.result.appendChild(link);
          } else {
            row.result.className = "result bad";
            row.result.textContent = payload.detail || `Upload failed (HTTP ${xhr.status})`;
          }
          resolve();
        });
        xhr.addEventListener("error", () => {
          row.result.className = "result bad";
          row.result.textContent = "Network error: the upload did not reach the server";
          resolve();
        });
        xhr.send(data);
      });
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      if (!form.elements.rep.value) {
        error.textContent = "Choose the rep on these calls first.";
        error.hidden = false;
        return;
      }
      if (rows.some((r) => !r.started.value)) {
        error.textContent = "Every recording needs its start time.";
        error.hidden = false;
        return;
      }
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      for (const row of rows) await send(row);
      button.removeAttribute("aria-busy");
      button.textContent = "Done";
    });
  }

  // Loaded at the end of the page, or swapped in by boosted navigation.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:load", init);
})();
