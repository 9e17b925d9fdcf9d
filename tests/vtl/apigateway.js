// Renders an API Gateway mapping template with velocityjs and API Gateway's variables.
//
// stdin:  {"template": "...", "params": {"querystring": {...}, "path": {...}, "header": {...}},
//          "body": "<integration or method body as text>", "context": {...}}
// stdout: {"output": "<rendered text>", "status": <$context.responseOverride.status or null>}
//
// What API Gateway gives a template (and this harness implements): $input.params(),
// $input.json(), $input.path(), $input.body, $util.escapeJavaScript (Apache Commons
// Lang's escapeJavaScript: ' becomes \' which is not valid JSON), $util.parseJson,
// $util.urlEncode / urlDecode, $util.base64Encode / base64Decode, and $context with a
// settable responseOverride. Strings in API Gateway's Velocity are java.lang.String,
// so String.replaceAll takes a Java regular expression: patched in here, because
// JavaScript's replaceAll with a string pattern replaces the text literally.
"use strict";

const velocity = require("velocityjs");

function escapeJavaScript(value) {
  // org.apache.commons.lang.StringEscapeUtils.escapeJavaScript (escapeSingleQuote and
  // escapeForwardSlash on), one UTF-16 unit at a time.
  const text = value == null ? "" : String(value);
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    const hex = ch.toString(16).toUpperCase();
    if (ch > 0xfff) out += "\\u" + hex;
    else if (ch > 0xff) out += "\\u0" + hex;
    else if (ch > 0x7f) out += "\\u00" + hex;
    else if (ch < 32) {
      const named = { 8: "\\b", 10: "\\n", 9: "\\t", 12: "\\f", 13: "\\r" }[ch];
      out += named || (ch > 0xf ? "\\u00" + hex : "\\u000" + hex);
    } else {
      const c = text[i];
      out += { "'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/" }[c] || c;
    }
  }
  return out;
}

function javaUrlEncode(value) {
  // java.net.URLEncoder.encode(value, "UTF-8"): alphanumerics and .-*_ stay, space is +.
  return encodeURIComponent(String(value))
    .replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, "+");
}

function javaReplacement(replacement) {
  // Java's replacement syntax ($1 groups, \x literal) written as JavaScript's.
  let out = "";
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i];
    if (c === "\\" && i + 1 < replacement.length) {
      const next = replacement[++i];
      out += next === "$" ? "$$" : next;
    } else out += c;
  }
  return out;
}

function select(document, path) {
  // The JSONPath API Gateway templates use here: $, $.a.b, $.a[0], $['a'].
  if (!path || path === "$") return document;
  const steps = path
    .replace(/^\$/, "")
    .match(/\.[^.[\]]+|\[\d+\]|\['[^']*'\]/g) || [];
  let node = document;
  for (const step of steps) {
    if (node == null) return null;
    if (step.startsWith(".")) node = node[step.slice(1)];
    else if (step.startsWith("['")) node = node[step.slice(2, -2)];
    else node = node[Number(step.slice(1, -1))];
  }
  return node === undefined ? null : node;
}

function render(request) {
  const params = request.params || {};
  const body = request.body == null ? "" : String(request.body);
  let parsed = null;
  try {
    parsed = body ? JSON.parse(body) : null;
  } catch (error) {
    parsed = null;
  }
  const input = {
    body,
    params(name) {
      if (name === undefined) return params;
      for (const where of ["path", "querystring", "header"]) {
        const found = (params[where] || {})[name];
        if (found !== undefined) return found;
      }
      return "";
    },
    json(path) {
      return JSON.stringify(select(parsed, path));
    },
    path(path) {
      return select(parsed, path);
    },
  };
  const util = {
    escapeJavaScript,
    parseJson: (text) => JSON.parse(text),
    urlEncode: javaUrlEncode,
    urlDecode: (text) => decodeURIComponent(String(text).replace(/\+/g, " ")),
    base64Encode: (text) => Buffer.from(String(text), "utf8").toString("base64"),
    base64Decode: (text) => Buffer.from(String(text), "base64").toString("utf8"),
  };
  const context = Object.assign(
    {
      requestId: "c0ffee00-0000-4000-8000-000000000001",
      domainName: "abc123.execute-api.us-east-1.amazonaws.com",
      stage: "v1",
      resourcePath: "/cutout",
      httpMethod: "GET",
    },
    request.context || {},
    { responseOverride: { status: null, header: {} } },
  );
  const original = String.prototype.replaceAll;
  String.prototype.replaceAll = function (regex, replacement) {
    return this.replace(new RegExp(regex, "g"), javaReplacement(String(replacement)));
  };
  try {
    const output = velocity.render(request.template, { input, util, context });
    return { output, status: context.responseOverride.status };
  } finally {
    String.prototype.replaceAll = original;
  }
}

let stdin = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (stdin += chunk));
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify(render(JSON.parse(stdin))));
});
