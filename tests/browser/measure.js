// Injected by trace_picture_test.py into a COPY of a `paxos-trace html` page (the page itself has
// no script). After load and layout it measures what a person would see and writes the result as
// JSON into a <pre> with id "result" and into document.title; `chromium --dump-dom` prints both.
//
// An element counts as visible when CSS does not hide it (checkVisibility), its box
// (getBoundingClientRect) is not empty, and that box lies inside its <svg> (an SVG clips what
// falls outside it) and inside the page. window.PAXOS_EXPECTED (set by the test just before this
// script) maps a delivered mid to its [from, to] UIDs, so an arrow can be checked to touch the
// lifelines of both ends.
(function () {
  "use strict";
  const SLACK = 1.5;  // px: rounding and antialiasing
  const MAX_PROBLEMS = 15;

  function pageRect(el) {
    const r = el.getBoundingClientRect();
    return {left: r.left + window.scrollX, top: r.top + window.scrollY,
            right: r.right + window.scrollX, bottom: r.bottom + window.scrollY,
            width: r.width, height: r.height};
  }

  function pageBox() {
    const d = document.documentElement;
    return {left: 0, top: 0, right: Math.max(d.scrollWidth, d.clientWidth),
            bottom: Math.max(d.scrollHeight, d.clientHeight)};
  }

  function inside(r, box) {
    return r.left >= box.left - SLACK && r.top >= box.top - SLACK &&
           r.right <= box.right + SLACK && r.bottom <= box.bottom + SLACK;
  }

  function round(r) {
    return [r.left, r.top, r.right, r.bottom].map(Math.round);
  }

  function label(el) {
    const data = Object.entries(el.dataset).map(([k, v]) => `data-${k}="${v}"`).join(" ");
    return `<${el.tagName.toLowerCase()} class="${el.getAttribute("class")}" ${data}>`;
  }

  // The element or an ancestor with display: none (checkVisibility misses it inside an <svg>).
  function displayNone(el) {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement)
      if (getComputedStyle(e).display === "none") return e;
    return null;
  }

  // null when visible, else why not.
  function hiddenReason(el, page) {
    const none = displayNone(el);
    if (none) return `display: none${none === el ? "" : " on " + label(none)}`;
    if (el.checkVisibility &&
        !el.checkVisibility({opacityProperty: true, visibilityProperty: true}))
      return "hidden by CSS (visibility or opacity)";
    const r = pageRect(el);
    if (![r.left, r.top, r.right, r.bottom].every(Number.isFinite)) return "box not finite";
    if (!(r.width > 0 || r.height > 0)) return "empty box";
    const svg = el.ownerSVGElement;
    if (svg && !inside(r, pageRect(svg)))
      return `box ${round(r)} outside its <svg> ${round(pageRect(svg))}, so clipped`;
    if (!inside(r, page)) return `box ${round(r)} outside the page ${round(page)}`;
    return null;
  }

  function survey(selector, page) {
    const all = Array.from(document.querySelectorAll(selector));
    const visible = [], problems = [];
    for (const el of all) {
      const reason = hiddenReason(el, page);
      if (reason === null) visible.push(el);
      else if (problems.length < MAX_PROBLEMS) problems.push(`${label(el)}: ${reason}`);
    }
    return {all, visible, problems};
  }

  // x of each lane's lifeline: its vertical <line>, if it draws one (not part of the contract;
  // without one the arrow-end check is skipped and says so).
  function laneXs(lanes) {
    const xs = {};
    for (const lane of lanes) {
      for (const line of lane.querySelectorAll("line")) {
        const r = pageRect(line);
        if (r.width <= SLACK && r.height > 0) {
          xs[lane.dataset.node] = (r.left + r.right) / 2;
          break;
        }
      }
    }
    return xs;
  }

  // Problems with arrows whose horizontal extent does not reach both ends' lifelines.
  function arrowEnds(arrows, xs, expected) {
    const problems = [];
    let checked = 0;
    for (const el of arrows) {
      const ends = expected[el.dataset.mid];
      if (!ends || !(ends[0] in xs) || !(ends[1] in xs)) continue;
      const r = pageRect(el);
      checked++;
      for (const uid of ends) {
        const x = xs[uid];
        if ((x < r.left - SLACK || x > r.right + SLACK) && problems.length < MAX_PROBLEMS)
          problems.push(`${label(el)} spans x ${Math.round(r.left)}..${Math.round(r.right)}, ` +
                        `not n${uid}'s lifeline at x ${Math.round(x)}`);
      }
    }
    return {checked, problems};
  }

  function measure() {
    const page = pageBox();
    const lanes = survey("g.lane[data-node]", page);
    const delivered = survey(".msg:not(.lost)", page);
    const lost = survey(".msg.lost", page);
    const events = survey(".event", page);
    const xs = laneXs(lanes.all);
    const ends = arrowEnds(delivered.visible, xs, window.PAXOS_EXPECTED || {});
    const laneOf = (el) => (el.closest(".lane[data-node]") || {dataset: {}}).dataset.node;
    return {
      page: {width: page.right, height: page.bottom,
             viewport: [window.innerWidth, window.innerHeight]},
      lanes: {total: lanes.all.length, visible: lanes.visible.map((el) => el.dataset.node),
              problems: lanes.problems, lifelines: Object.keys(xs).length},
      delivered: {total: delivered.all.length,
                  visibleMids: delivered.visible.map((el) => el.dataset.mid),
                  untyped: delivered.all.filter((el) => !el.dataset.type).length,
                  problems: delivered.problems,
                  endsChecked: ends.checked, endProblems: ends.problems},
      lost: {total: lost.all.length, visibleMids: lost.visible.map((el) => el.dataset.mid),
             problems: lost.problems},
      events: {total: events.all.length,
               visible: events.visible.map((el) => [laneOf(el), el.dataset.event]),
               problems: events.problems},
      resources: performance.getEntriesByType("resource").map((e) => e.name),
    };
  }

  function publish(result) {
    const text = JSON.stringify(result);
    document.title = text;
    let pre = document.getElementById("result");
    if (!pre) {
      pre = document.createElement("pre");
      pre.id = "result";
      document.body.appendChild(pre);
    }
    pre.textContent = text;
  }

  function run() {
    try {
      publish(measure());
    } catch (e) {
      publish({error: String(e && e.stack || e)});
    }
  }

  // After load, fonts and one more task: layout (text included) is final by then.
  window.addEventListener("load", () => {
    const fontsReady = document.fonts ? document.fonts.ready : Promise.resolve();
    fontsReady.then(() => setTimeout(run, 0));
  });
})();
