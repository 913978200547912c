(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  var CORS = /^(access-control-|origin$|vary$)/i;
  var PAGE = 200;
  var D = null;
  var list = $("finding-list"), tools = $("finding-tools"), more = $("f-more");
  var state = { t: "", matches: null, shown: 0 };
  function g(v) { return typeof v === "number" ? D.s[v] : v; }
  function data() {
    if (!D) {
      D = JSON.parse($("report-data").textContent);
      D.q = [];
    }
    return D;
  }
  function node(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined) { n.textContent = text; }
    return n;
  }
  function text(t) { return document.createTextNode(t); }
  function inline(parent, t) {
    t.split("`").forEach(function (part, i) {
      parent.appendChild(i % 2 ? node("code", "", part) : text(part));
    });
    return parent;
  }
  function link(href, t, cls) {
    var a = node("a", cls || "", t);
    a.href = href;
    return a;
  }
  function fact(dl, term, parts) {
    var dd = node("dd");
    dl.appendChild(node("dt", "", term));
    parts.forEach(function (p) { dd.appendChild(typeof p === "string" ? text(p) : p); });
    dl.appendChild(dd);
  }
  function exchange(x) {
    var box = node("div", "exchange"), head = node("div", "small"), pre = node("pre");
    box.dataset.kind = g(x[0]);
    [g(x[0]), x[1] !== -1 ? g(x[1]) : "", x[2] !== -1 ? "origin: " + g(x[2]) : "",
      x[3] ? "credentialed" : ""].forEach(function (t) {
      if (t) { head.appendChild(node("span", "tag", t)); head.appendChild(text(" ")); }
    });
    head.appendChild(node("span", "muted", x[4] + " ms"));
    function line(dir, t, cls) {
      pre.appendChild(text(dir + " "));
      pre.appendChild(cls ? node("span", cls, t) : text(t));
      pre.appendChild(text("\n"));
    }
    function headers(dir, hs) {
      for (var i = 0; i < hs.length; i += 2) {
        line(dir, g(hs[i]) + ": " + g(hs[i + 1]), CORS.test(g(hs[i])) ? "cors" : "");
      }
    }
    line(">", g(x[5]) + " " + g(x[6]));
    headers(">", x[7]);
    if (x[8] >= 0) {
      line("<", g(x[9]) + " " + x[8] + " " + g(x[10]));
      headers("<", x[11]);
      line("<", "[body " + x[12] + " bytes" + (x[13] ? ", truncated" : "") + "]", "muted");
    }
    if (x[14] !== -1) { line("!", g(x[14]) + ": " + x[15], "err"); }
    box.appendChild(head);
    box.appendChild(pre);
    return box;
  }
  function fill(d) {
    var box = d.querySelector("div.card-body");
    if (!box || box.dataset.done || !box.dataset.i) { return; }
    var F = data().f[+box.dataset.i], dl = node("dl", "grid");
    var rule = g(F[11]), stack = g(F[19]);
    box.dataset.done = "1";
    box.appendChild(inline(node("p", "detail"), F[0]));
    var fix = [link("#" + F[2], F[2].replace("-", " "))];
    if (stack !== "unknown") { fix.push(" (" + stack + ")"); }
    fix.push(" \u00b7 ", link("#rule-" + rule, "rule " + rule));
    if (F[3]) {
      var cwe = link("https://cwe.mitre.org/data/definitions/" + F[3] + ".html", "CWE-" + F[3]);
      cwe.rel = "noopener noreferrer";
      fix.push(" \u00b7 ", cwe);
    }
    fact(dl, "Fix", fix);
    if (F[5]) { fact(dl, "Browser error", [node("span", "mono", F[5])]); }
    if (F[6]) { fact(dl, "Verified", [F[6]]); }
    if (F[7]) { fact(dl, "Cookies set", [F[7]]); }
    if (F[4].length) {
      var folded = [];
      F[4].forEach(function (r, i) {
        if (i) { folded.push(", "); }
        folded.push(link("#rule-" + r, r, "mono"));
      });
      fact(dl, "Folded rules", folded);
    }
    box.appendChild(dl);
    box.appendChild(node("h4", "", "Reproduce"));
    box.appendChild(node("pre", "curl", F[1]));
    box.appendChild(node("h4", "", "Evidence (" + F[8].length + " exchange" +
      (F[8].length === 1 ? "" : "s") + ")"));
    F[8].forEach(function (x) { box.appendChild(exchange(x)); });
    box.appendChild(node("p", "fingerprint", "fingerprint " + F[9]));
  }
  function row(i) {
    var F = D.f[i], sev = g(F[10]);
    var d = node("details", "finding b-" + sev), sum = node("summary"), where = node("span", "where");
    d.id = "finding-" + F[9];
    d.dataset.severity = sev;
    d.dataset.rule = g(F[11]);
    d.dataset.host = g(F[18]);
    d.dataset.stack = g(F[19]);
    d.dataset.t = F[20] < 0 ? "" : String(F[20]);
    sum.appendChild(node("b", "badge sev-" + sev, sev));
    sum.appendChild(text(" "));
    sum.appendChild(node("b", "mono", g(F[11])));
    sum.appendChild(text(" \u00b7 "));
    inline(sum, g(F[12]));
    where.appendChild(node("i", "u", g(F[13]) + " " + F[14]));
    where.appendChild(text(" \u2014 origin "));
    where.appendChild(node("i", "o", F[15]));
    if (F[16]) { where.appendChild(text(" ")); where.appendChild(node("span", "tag", "credentialed")); }
    if (F[17]) { where.appendChild(text(" ")); where.appendChild(node("span", "tag", "latent")); }
    if (F[21]) {
      where.appendChild(text(" "));
      where.appendChild(node("span", "tag", F[21]));
      where.appendChild(text(" in " + F[22]));
    }
    sum.appendChild(where);
    d.appendChild(sum);
    var body = node("div", "card-body");
    body.dataset.i = String(i);
    d.appendChild(body);
    return d;
  }
  function value(id) { var el = $(id); return el ? el.value : ""; }
  function showMore() {
    var frag = document.createDocumentFragment(), m = state.matches;
    var last = state.shown ? D.f[m[state.shown - 1]][10] : -1;
    var end = Math.min(m.length, state.shown + PAGE);
    for (var k = state.shown; k < end; k += 1) {
      var sev = D.f[m[k]][10];
      if (sev !== last) {
        var h = node("h3", "");
        h.dataset.severity = g(sev);
        h.appendChild(node("span", "badge sev-" + g(sev), g(sev)));
        frag.appendChild(h);
        last = sev;
      }
      frag.appendChild(row(m[k]));
    }
    list.appendChild(frag);
    state.shown = end;
    more.hidden = end >= m.length;
    more.textContent = "Show " + Math.min(PAGE, m.length - end) + " more of " + (m.length - end);
  }
  function apply() {
    var F = data().f;
    var sev = value("f-severity"), rule = value("f-rule"), stack = value("f-stack");
    var host = value("f-host").trim().toLowerCase(), q = value("f-q").trim().toLowerCase();
    var t = state.t === "" ? null : +state.t, m = [];
    for (var i = 0; i < F.length; i += 1) {
      var x = F[i];
      if (sev && g(x[10]) !== sev) { continue; }
      if (rule && g(x[11]) !== rule) { continue; }
      if (stack && g(x[19]) !== stack) { continue; }
      if (t !== null && x[20] !== t) { continue; }
      if (host && g(x[18]).indexOf(host) === -1) { continue; }
      if (q) {
        if (D.q[i] === undefined) {
          D.q[i] = [g(x[11]), g(x[12]), g(x[13]), x[14], x[15], x[0], x[9]].join(" ").toLowerCase();
        }
        if (D.q[i].indexOf(q) === -1) { continue; }
      }
      m.push(i);
    }
    state.matches = m;
    state.shown = 0;
    list.textContent = "";
    showMore();
    $("f-count").textContent = m.length + " of " + F.length + " findings match";
    $("f-target").hidden = !state.t;
    if (state.t) {
      var r = $("target-" + state.t);
      $("f-target-name").textContent = r ? r.dataset.url : state.t;
    }
  }
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (id.indexOf("finding-") !== 0 || document.getElementById(id) || !list) { return; }
    var F = data().f, fp = id.slice(8);
    for (var i = 0; i < F.length; i += 1) {
      if (F[i][9] === fp) {
        each(tools.querySelectorAll("select, input"), function (el) { el.value = ""; });
        state.t = F[i][20] < 0 ? "" : String(F[i][20]);
        if (!state.t) { $("f-q").value = fp; }
        apply();
        var el = document.getElementById(id);
        if (el) { el.scrollIntoView(); }
        return;
      }
    }
  }
  if (tools && list) {
    tools.hidden = false;
    each(tools.querySelectorAll("select"), function (el) { el.addEventListener("change", apply); });
    each(tools.querySelectorAll("input"), function (el) { el.addEventListener("input", apply); });
    more.addEventListener("click", function () {
      if (!state.matches) {
        // The page opened with the first rows drawn by the server, in data order.
        state.matches = data().f.map(function (_, i) { return i; });
        state.shown = list.querySelectorAll("details.finding").length;
      }
      showMore();
    });
    $("f-clear").addEventListener("click", function () {
      each(tools.querySelectorAll("select, input"), function (el) { el.value = ""; });
      state.t = "";
      apply();
    });
    $("f-target-clear").addEventListener("click", function () { state.t = ""; apply(); });
    $("f-collapse").addEventListener("click", function () {
      each(list.querySelectorAll("details[open]"), function (d) { d.open = false; });
    });
    document.addEventListener("click", function (ev) {
      var a = ev.target.closest ? ev.target.closest("[data-show-target], [data-show-rule]") : null;
      if (!a) { return; }
      each(tools.querySelectorAll("select, input"), function (el) { el.value = ""; });
      state.t = a.dataset.showTarget || "";
      if (a.dataset.showRule) { $("f-rule").value = a.dataset.showRule; }
      if (a.dataset.showStack) { $("f-stack").value = a.dataset.showStack; }
      apply();
    });
    window.addEventListener("hashchange", reveal);
    reveal();
    // Parse the data block once the page is up, so the first filter does not wait for it.
    window.addEventListener("load", function () { setTimeout(data, 0); });
  }
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (d.open && d.classList && d.classList.contains("finding")) { fill(d); }
  }, true);
  var table = $("targets-table");
  if (table) {
    var keyed = null;
    var heads = table.querySelectorAll(".thead > span");
    each(table.querySelectorAll("[data-sort] button"), function (button) {
      button.addEventListener("click", function () {
        var th = button.parentNode, kind = th.dataset.sort;
        var col = Array.prototype.indexOf.call(heads, th);
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        each(heads, function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        if (!keyed) { keyed = Array.prototype.slice.call(table.querySelectorAll(".trow.target")); }
        var pairs = keyed.map(function (r, i) {
          var cell = r.children[col], t = cell.dataset.v || cell.textContent;
          return [kind === "num" ? parseFloat(t) || 0 : t.toLowerCase(), i, r];
        });
        pairs.sort(function (a, b) { return a[0] < b[0] ? -dir : a[0] > b[0] ? dir : a[1] - b[1]; });
        var frag = document.createDocumentFragment();
        pairs.forEach(function (p) { frag.appendChild(p[2]); });
        table.appendChild(frag);
      });
    });
  }
  if (navigator.clipboard) {
    each(document.querySelectorAll("pre.snippet"), function (pre) {
      var copy = node("button", "copy", "Copy");
      copy.type = "button";
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(pre.textContent).then(function () { copy.textContent = "Copied"; });
      });
      pre.parentNode.insertBefore(copy, pre);
    });
  }
  window.addEventListener("beforeprint", function () {
    each(document.querySelectorAll("details.finding"), function (d) { d.open = true; fill(d); });
  });
})();
