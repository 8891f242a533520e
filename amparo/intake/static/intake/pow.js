/* Amparo intake: proof of work for the public forms (optional; the forms work without it).
 *
 * The form asks for n such that SHA-256("<prefix>" + n) starts with at least `bits` zero bits.
 * We start as soon as the page loads, in small slices so the page stays responsive, write the
 * best n found into the hidden "pow" field, and keep a form from being sent twice. The server
 * asks for more bits when many forms arrive, so we keep looking, in the background while the
 * person writes, until n has MARGIN bits more than the page asked for. Without this script the
 * form draws on a budget for forms without proof of work instead. SHA-256 is computed here
 * rather than with crypto.subtle, which browsers offer only over HTTPS (and onion services may
 * use HTTP). AGPL-3.0-or-later. */
(function () {
  "use strict";

  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  var W = new Int32Array(64);
  var H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  var MARGIN = 2;

  /* How many zero bits SHA-256(text) starts with, for an ASCII text of at most 55 characters
   * (one block: the prefix is a 32-digit nonce and a colon, the answer at most 12 digits). */
  function zeroBits(text) {
    var length = text.length, i, j;
    for (i = 0; i < 16; i++) { W[i] = 0; }
    for (i = 0; i < length; i++) { W[i >> 2] |= text.charCodeAt(i) << (24 - (i % 4) * 8); }
    W[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
    W[15] = length * 8;
    for (i = 16; i < 64; i++) {
      var x = W[i - 15], y = W[i - 2];
      var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    var a = H0[0], b = H0[1], c = H0[2], d = H0[3], e = H0[4], f = H0[5], g = H0[6], h = H0[7];
    for (j = 0; j < 64; j++) {
      var t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
        ((e & f) ^ (~e & g)) + K[j] + W[j]) | 0;
      var t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
        ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    var words = [a + H0[0], b + H0[1], c + H0[2], d + H0[3], e + H0[4], f + H0[5], g + H0[6], h + H0[7]];
    var bits = 0;
    for (i = 0; i < 8; i++) {
      var zeros = Math.clz32(words[i] | 0);
      bits += zeros;
      if (zeros < 32) { break; }
    }
    return bits;
  }

  function solve(form) {
    var prefix = form.getAttribute("data-pow-prefix");
    var bits = parseInt(form.getAttribute("data-pow-bits"), 10);
    var field = form.querySelector("input[name=pow]");
    var status = form.querySelector("[data-pow-status]");
    var number = 0, best = -1, done = false, sending = false;

    /* About 16 ms of hashing at a time, then the page's turn: browsers wait at least 4 ms
     * between timers, which slices of a fixed, small count would spend more time on than on
     * the work. */
    function slice() {
      if (sending && done) { return; }
      var deadline = Date.now() + 16;
      do {
        for (var stop = number + 500; number < stop; number++) {
          var found = zeroBits(prefix + number);
          if (found > best) {
            best = found;
            if (best >= bits) {
              field.value = String(number);
              if (!done && sending) { done = true; form.submit(); return; }
              done = true;
            }
            if (best >= bits + MARGIN) { return; }
          }
        }
      } while (Date.now() < deadline);
      setTimeout(slice, 0);
    }

    form.addEventListener("submit", function (event) {
      if (sending) { event.preventDefault(); return; }
      sending = true;
      var buttons = form.querySelectorAll("button[type=submit]");
      for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
      if (!done) {
        event.preventDefault();
        if (status) { status.hidden = false; }
      }
    });
    setTimeout(slice, 0);
  }

  /* A page shown again from the back/forward cache would show what was typed and carry a
   * used form: load it anew, empty (the server also drops it from that cache: views.forget). */
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && document.querySelector("form[data-pow-bits]")) {
      window.location.reload();
    }
  });

  var forms = document.querySelectorAll("form[data-pow-bits]");
  for (var i = 0; i < forms.length; i++) { solve(forms[i]); }
})();
