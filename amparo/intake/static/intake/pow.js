/* Amparo intake: proof of work for the public forms (optional; the forms work without it).
 *
 * The form carries a puzzle: find n (0 <= n <= max) with SHA-256("<prefix>" + n) = challenge.
 * We start solving as soon as the page loads, in small slices so the page stays responsive,
 * write the answer into the hidden "pow" field, and keep a form from being sent twice. Without
 * this script the server applies stricter limits instead. SHA-256 is computed here rather than
 * with crypto.subtle, which browsers offer only over HTTPS (and onion services may use HTTP).
 * AGPL-3.0-or-later. */
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
  var W = new Array(64);

  /* SHA-256 of an ASCII string, as 64 hex digits. */
  function sha256(text) {
    var length = text.length, words = [], i, j;
    for (i = 0; i < length; i++) { words[i >> 2] |= text.charCodeAt(i) << (24 - (i % 4) * 8); }
    words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
    var blocks = ((length + 8) >> 6) + 1;
    for (i = (length >> 2) + 1; i < blocks * 16; i++) { words[i] = words[i] | 0; }
    words[blocks * 16 - 1] = length * 8;
    var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    for (var block = 0; block < blocks; block++) {
      for (i = 0; i < 16; i++) { W[i] = words[block * 16 + i]; }
      for (i = 16; i < 64; i++) {
        var a = W[i - 15], b = W[i - 2];
        var s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
        var s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      var a0 = h[0], b0 = h[1], c0 = h[2], d0 = h[3], e0 = h[4], f0 = h[5], g0 = h[6], h0 = h[7];
      for (j = 0; j < 64; j++) {
        var t1 = (h0 + (((e0 >>> 6) | (e0 << 26)) ^ ((e0 >>> 11) | (e0 << 21)) ^ ((e0 >>> 25) | (e0 << 7))) +
          ((e0 & f0) ^ (~e0 & g0)) + K[j] + W[j]) | 0;
        var t2 = ((((a0 >>> 2) | (a0 << 30)) ^ ((a0 >>> 13) | (a0 << 19)) ^ ((a0 >>> 22) | (a0 << 10))) +
          ((a0 & b0) ^ (a0 & c0) ^ (b0 & c0))) | 0;
        h0 = g0; g0 = f0; f0 = e0; e0 = (d0 + t1) | 0; d0 = c0; c0 = b0; b0 = a0; a0 = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a0) | 0; h[1] = (h[1] + b0) | 0; h[2] = (h[2] + c0) | 0; h[3] = (h[3] + d0) | 0;
      h[4] = (h[4] + e0) | 0; h[5] = (h[5] + f0) | 0; h[6] = (h[6] + g0) | 0; h[7] = (h[7] + h0) | 0;
    }
    var hex = "";
    for (i = 0; i < 8; i++) { hex += ("00000000" + (h[i] >>> 0).toString(16)).slice(-8); }
    return hex;
  }

  function solve(form) {
    var prefix = form.getAttribute("data-pow-prefix");
    var challenge = form.getAttribute("data-pow-challenge");
    var max = parseInt(form.getAttribute("data-pow-max"), 10);
    var field = form.querySelector("input[name=pow]");
    var status = form.querySelector("[data-pow-status]");
    var number = 0, done = false, sending = false;

    function slice() {
      var stop = Math.min(number + 2000, max + 1);
      for (; number < stop; number++) {
        if (sha256(prefix + number) === challenge) {
          field.value = String(number);
          done = true;
          if (sending) { form.submit(); }
          return;
        }
      }
      if (number <= max) { setTimeout(slice, 0); } else { done = true; if (sending) { form.submit(); } }
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

  var forms = document.querySelectorAll("form[data-pow-challenge]");
  for (var i = 0; i < forms.length; i++) { solve(forms[i]); }
})();
