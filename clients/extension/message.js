// The addresses of a raw RFC 5322 message: From, To, Cc (and Reply-To), in order, once each.
// Enough for a look-up before Log; the server parses the message itself when it is logged.

const ADDRESS_FIELDS = ["from", "to", "cc", "reply-to"];

// Return the header section's fields as [name, value] pairs, continuation lines unfolded.
export function headerFields(raw) {
  const head = raw.split(/\r?\n\r?\n/, 1)[0];
  const fields = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length) {
      fields[fields.length - 1][1] += " " + line.trim();
    } else {
      const colon = line.indexOf(":");
      if (colon > 0) fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
    }
  }
  return fields;
}

// Split an address list at commas outside quotes and angle brackets.
function entries(value) {
  const parts = [];
  let current = "", quoted = false, angle = false;
  for (const char of value) {
    if (char === '"') quoted = !quoted;
    else if (char === "<" && !quoted) angle = true;
    else if (char === ">" && !quoted) angle = false;
    if (char === "," && !quoted && !angle) {
      parts.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  return [...parts, current];
}

function addressOf(entry) {
  const angled = entry.match(/<([^<>\s]+@[^<>\s]+)>/);
  const bare = entry.replace(/"[^"]*"/g, "").match(/[^\s<>,;:"()]+@[^\s<>,;:"()]+/);
  const found = angled ? angled[1] : bare ? bare[0] : null;
  return found ? found.toLowerCase() : null;
}

export function messageAddresses(raw) {
  const seen = new Set();
  for (const [name, value] of headerFields(raw)) {
    if (!ADDRESS_FIELDS.includes(name)) continue;
    for (const entry of entries(value)) {
      const address = addressOf(entry);
      if (address) seen.add(address);
    }
  }
  return [...seen];
}

export function subjectOf(raw) {
  const field = headerFields(raw).find(([name]) => name === "subject");
  return field ? field[1] : "";
}
