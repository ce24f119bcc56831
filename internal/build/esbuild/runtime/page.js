// The preview runtime: the first script of every preview page. It keeps the
// module registry that vendor chunks fill, shows runtime errors in the page
// instead of swallowing them, and stands in for the storage that an opaque
// (sandboxed) origin does not have.
(function () {
  "use strict";
  var z = (window.__zocket = { modules: Object.create(null) });

  z.define = function (name, value) {
    z.modules[name] = value;
  };
  z.require = function (name) {
    if (!(name in z.modules)) {
      throw new Error('The preview has no module "' + name + '" loaded.');
    }
    return z.modules[name];
  };

  var panel = null;
  var queued = [];

  function show(node) {
    if (!document.body) {
      queued.push(node);
      return;
    }
    if (!panel) {
      panel = document.createElement("div");
      panel.id = "__preview-errors";
      panel.setAttribute("role", "alert");
      document.body.appendChild(panel);
    }
    panel.appendChild(node);
  }

  document.addEventListener("DOMContentLoaded", function () {
    queued.splice(0).forEach(show);
  });

  // report shows an error in the page; React's error boundary and the
  // window error events below all end here.
  z.report = function (title, detail) {
    var entry = document.createElement("div");
    entry.className = "__preview-error";
    var head = document.createElement("strong");
    head.textContent = title;
    entry.appendChild(head);
    if (detail) {
      var pre = document.createElement("pre");
      pre.textContent = detail;
      entry.appendChild(pre);
    }
    show(entry);
    return entry;
  };

  function describe(error) {
    if (error instanceof Error) {
      return { title: error.name + ": " + error.message, detail: error.stack || "" };
    }
    return { title: "Uncaught " + String(error), detail: "" };
  }
  z.describe = describe;

  window.addEventListener(
    "error",
    function (event) {
      var target = event.target;
      if (target && target !== window && target.tagName) {
        if (target.tagName === "SCRIPT" || target.tagName === "LINK") {
          z.report("Could not load " + (target.src || target.href), "Previews run offline: only the packages of the preview set can be used.");
        }
        return;
      }
      var d = event.error ? describe(event.error) : { title: event.message, detail: "" };
      if (event.filename && !d.detail) {
        d.detail = "at line " + event.lineno + ", column " + event.colno;
      }
      z.report(d.title, d.detail);
    },
    true
  );
  window.addEventListener("unhandledrejection", function (event) {
    var d = describe(event.reason);
    z.report("Unhandled promise rejection: " + d.title, d.detail);
  });
  // Blocked requests and inline code are worth showing (a blocked script
  // file already fired an error above); a blocked image is not.
  document.addEventListener("securitypolicyviolation", function (event) {
    var directive = event.effectiveDirective || "";
    var blocked = event.blockedURI || "";
    if (directive === "connect-src" || (directive.indexOf("script-src") === 0 && (blocked === "inline" || blocked === "eval"))) {
      z.report("Blocked by the preview's security policy: " + (blocked || "inline code") + " (" + directive + ")", "Previews run their own code only and cannot reach the network.");
    }
  });

  // alert() is a no-op in a sandbox without allow-modals: show it instead.
  window.alert = function (message) {
    var toast = document.createElement("div");
    toast.className = "__preview-toast";
    toast.textContent = String(message);
    (document.body || document.documentElement).appendChild(toast);
    setTimeout(function () {
      toast.remove();
    }, 4000);
  };

  // A sandboxed page has an opaque origin, so Web Storage throws. Code that
  // saves state in localStorage gets a store that lives as long as the page.
  function MemoryStorage() {
    var items = new Map();
    return {
      get length() {
        return items.size;
      },
      key: function (i) {
        var keys = Array.from(items.keys());
        return i >= 0 && i < keys.length ? keys[i] : null;
      },
      getItem: function (k) {
        k = String(k);
        return items.has(k) ? items.get(k) : null;
      },
      setItem: function (k, v) {
        items.set(String(k), String(v));
      },
      removeItem: function (k) {
        items.delete(String(k));
      },
      clear: function () {
        items.clear();
      },
    };
  }
  ["localStorage", "sessionStorage"].forEach(function (name) {
    try {
      void window[name].length;
    } catch (err) {
      Object.defineProperty(window, name, { value: MemoryStorage(), configurable: true });
      z.memoryStorage = true;
    }
  });
  if (z.memoryStorage) {
    console.info("Preview: localStorage and sessionStorage are kept in memory (the preview runs in a sandbox).");
  }
})();
