;; The forward DFT stages of the Toeplitz bound (Delattre, Barthélemy & Allauzen 2024): every self-correlation goes to
;; the frequency domain and back (engine/bounds/methods/toeplitz-heap.ts; the way back is toeplitz-inverse.wat), and
;; each stage along one axis is a small complex matrix (twiddles, F x K) times K long rows of channel pairs:
;; out[f][j] = sum_k tw[f][k] in[k][j] for every lane j of the P x P channel block. Bound by toeplitz-heap.ts; the
;; rounding analysis that keeps the bound guaranteed is in toeplitz-enclosure.ts.
;;
;; Why: V8's scalar float64 loop did these at ~1 GMAC/s and they were most of the Toeplitz time. Four outputs f at a
;; time share each loaded input lane pair, in float64 (f64x2). The per-frequency Grams in between are
;; toeplitz-gram.wat's; the helpers sumsq, scale and abssum serve the enclosure's norms and the final row sums.
;;
;; Layout (byte offsets into the imported memory): input row k at in + k inStride (real part; imaginary part at
;; inIm + k inStride), output row f at out + f outStride (imaginary part at outIm + f outStride), twiddle (f, k) at
;; twRe + 8 (f K + k) and twIm + 8 (f K + k). Lanes [j0, j1) in bytes, multiples of 32 (P and C are even), so that
;; two threads can split one call (toeplitz-heap.ts). F need not be a multiple of 4 (or 2): a last single row goes
;; alone (rmix1, cmixpm1; toeplitz-inverse.wat's cmixr1, cmixpminv1), another short block recomputes row F - 1.
;; sc: the stage's scratch (toeplitz-heap.ts stageScratchBytes), each thread its own.
;;
;; Input rows in place or copied (gather): the rows of a stage lie a multiple of 4 KB apart (P and C even, as the
;; heap's regions), so lane j of every row falls in the same L1 set. From K = 7 rows (2K = 14 real and imaginary
;; streams against the 12 ways of a 48 KB L1), a stage read them in place from L2 at every load, so it first copies
;; each block of 8 KB of lanes to the scratch lane vector by lane vector (K x 16 or 32 contiguous bytes per vector),
;; which every output row then reads in order: 1.4x (rmix) to 3x (cmixpm) faster at K = 9 and 17, 64-256 channels.
;; Below that the copy is pure overhead (up to 1.5x slower at K = 3, 5 and 512 channels), and the rows are read in
;; place. Either way each output is the same chain as before (the copy moves values; the order is unchanged).
;;
;; Rounding (what toeplitz-enclosure.ts assumes): each output part is a chain, started at 0, of at most 2K
;; multiply-adds (fused or not) of a twiddle part and an input part: error <= gamma_{2K} sum_k |tw_k| |in_k| per part
;; (Higham, Sec. 3.1), |tw_k| <= sqrt(2).
;;
;; Variant (kernels/index.ts): relaxed_madd / relaxed_nmadd are lowered to mul + add / sub where relaxed SIMD is off.
(module
  (import "env" "memory" (memory 0))

  ;; The byte offset of twiddle row min(f, F - 1): a short last block repeats the last row (same values written twice).
  (func $tw (param $tw i32) (param $f i32) (param $F i32) (param $K i32) (result i32)
    (i32.add (local.get $tw)
      (i32.mul (i32.mul (select (local.get $f) (i32.sub (local.get $F) (i32.const 1))
        (i32.lt_u (local.get $f) (local.get $F))) (local.get $K)) (i32.const 8))))

  (func $row (param $out i32) (param $f i32) (param $F i32) (param $stride i32) (result i32)
    (i32.add (local.get $out)
      (i32.mul (select (local.get $f) (i32.sub (local.get $F) (i32.const 1)) (i32.lt_u (local.get $f) (local.get $F)))
        (local.get $stride))))

;; cmixpm(inRe, inIm, inStride, K, twC, twS, F, nh, outRe, outIm, outStride, sc, j0, j1): the DFT along u of the
  ;; forward transform, both frequencies u and -u of each pair at once (half the multiply-adds of a complex matrix):
  ;; with A = sum_k c[u][k] in[k] and B = sum_k s[u][k] in[k] (c, s = cos, sin of 2 pi u k / nh),
  ;;   out[u] = sum_k in[k] e^{-2 pi i u k / nh} = (A_r + B_i) + i (A_i - B_r),  out[-u] = (A_r - B_i) + i (A_i + B_r),
  ;; for u in [0, F), rows u and (nh - u) mod nh (at u = 0, s = 0 and both are the same row, written twice alike).
  ;; From K = 7 rows, each block of 8 KB of lanes of the K input rows is first copied to sc lane vector by lane vector
  ;; (gather: 32 K contiguous bytes per vector, K x 16 KB in all), which every pair of rows u then reads in order. The
  ;; input is only read, so a chunk of lanes computed twice gives the same values.
  ;; Rounding: chains of K multiply-adds, then one add: gamma_{K+1} sum_k (|c| + |s|) |in_k| per part.
  (func $cmixpm (export "cmixpm")
    (param $inRe i32) (param $inIm i32) (param $inStride i32) (param $K i32)
    (param $twC i32) (param $twS i32) (param $F i32) (param $nh i32)
    (param $outRe i32) (param $outIm i32) (param $outStride i32) (param $sc i32) (param $j0 i32) (param $j1 i32)
    (local $f i32) (local $j i32) (local $jb i32) (local $je i32) (local $p i32) (local $pEnd i32)
    (local $gat i32) (local $base i32) (local $kStep i32) (local $imStep i32) (local $jMul i32) (local $kEnd i32)
    (local $twOff i32) (local $outOff i32) (local $t0 i32) (local $t1 i32) (local $w0 i32) (local $w1 i32)
    (local $o0 i32) (local $n0 i32) (local $o1 i32) (local $n1 i32)
    (local $xr v128) (local $xi v128) (local $c v128) (local $s v128)
    (local $ar0 v128) (local $ai0 v128) (local $br0 v128) (local $bi0 v128)
    (local $ar1 v128) (local $ai1 v128) (local $br1 v128) (local $bi1 v128)
    (local.set $twOff (i32.sub (local.get $twS) (local.get $twC)))
    (local.set $outOff (i32.sub (local.get $outIm) (local.get $outRe)))
    ;; lane j of row k at base + jMul (j - jb) + k kStep (its imaginary part imStep on): in place, or in gather's copy
    (local.set $gat (i32.ge_u (local.get $K) (i32.const 7)))
    (local.set $kStep (select (i32.const 32) (local.get $inStride) (local.get $gat)))
    (local.set $imStep (select (i32.const 16) (i32.sub (local.get $inIm) (local.get $inRe)) (local.get $gat)))
    (local.set $jMul (select (i32.shl (local.get $K) (i32.const 1)) (i32.const 1) (local.get $gat)))
    (local.set $kEnd (i32.mul (local.get $K) (local.get $kStep)))
    (local.set $jb (local.get $j0))
    (block $bdone (loop $bnext
    (br_if $bdone (i32.ge_u (local.get $jb) (local.get $j1)))
    (local.set $je (select (i32.add (local.get $jb) (i32.const 8192)) (local.get $j1)
      (i32.lt_u (i32.add (local.get $jb) (i32.const 8192)) (local.get $j1))))
    (if (local.get $gat) (then (call $gather (local.get $inRe) (i32.sub (local.get $inIm) (local.get $inRe)) (local.get $inStride) (local.get $K)
      (local.get $sc) (local.get $jb) (local.get $je) (i32.const 32))))
    (local.set $base (select (local.get $sc) (i32.add (local.get $inRe) (local.get $jb)) (local.get $gat)))
    (local.set $f (i32.const 0))
    (block $fdone (loop $fnext
      (br_if $fdone (i32.ge_u (local.get $f) (local.get $F)))
      (if (i32.eq (i32.sub (local.get $F) (local.get $f)) (i32.const 1))
        (then
          (call $cmixpm1 (local.get $base) (local.get $jMul) (local.get $kStep) (local.get $imStep)
            (select (i32.shl (local.get $K) (i32.const 5)) (i32.const 16) (local.get $gat)) (local.get $K)
            (call $tw (local.get $twC) (local.get $f) (local.get $F) (local.get $K)) (local.get $twOff)
            (call $row (local.get $outRe) (local.get $f) (local.get $F) (local.get $outStride))
            (call $row (local.get $outRe) (call $neg (local.get $f) (local.get $F) (local.get $nh)) (local.get $nh) (local.get $outStride))
            (local.get $outOff) (local.get $jb) (local.get $je))
          (br $fdone)))
      (local.set $w0 (call $tw (local.get $twC) (local.get $f) (local.get $F) (local.get $K)))
      (local.set $w1 (call $tw (local.get $twC) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $K)))
      ;; the output rows u, -u of this pair, once (a call in the lane loop spills every live SIMD register)
      (local.set $o0 (call $row (local.get $outRe) (local.get $f) (local.get $F) (local.get $outStride)))
      (local.set $n0 (call $row (local.get $outRe) (call $neg (local.get $f) (local.get $F) (local.get $nh)) (local.get $nh) (local.get $outStride)))
      (local.set $o1 (call $row (local.get $outRe) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $outStride)))
      (local.set $n1 (call $row (local.get $outRe)
        (call $neg (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $nh)) (local.get $nh) (local.get $outStride)))
      (local.set $j (local.get $jb))
      (block $jdone (loop $jnext
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $je)))
        (local.set $ar0 (f64x2.splat (f64.const 0))) (local.set $ai0 (f64x2.splat (f64.const 0)))
        (local.set $br0 (f64x2.splat (f64.const 0))) (local.set $bi0 (f64x2.splat (f64.const 0)))
        (local.set $ar1 (f64x2.splat (f64.const 0))) (local.set $ai1 (f64x2.splat (f64.const 0)))
        (local.set $br1 (f64x2.splat (f64.const 0))) (local.set $bi1 (f64x2.splat (f64.const 0)))
        (local.set $p (i32.add (local.get $base) (i32.mul (i32.sub (local.get $j) (local.get $jb)) (local.get $jMul))))
        (local.set $pEnd (i32.add (local.get $p) (local.get $kEnd)))
        (local.set $t0 (local.get $w0))
        (local.set $t1 (local.get $w1))
        (block $kdone (loop $knext
          (br_if $kdone (i32.ge_u (local.get $p) (local.get $pEnd)))
          (local.set $xr (v128.load (local.get $p)))
          (local.set $xi (v128.load (i32.add (local.get $p) (local.get $imStep))))
          (local.set $c (v128.load64_splat (local.get $t0)))
          (local.set $s (v128.load64_splat (i32.add (local.get $t0) (local.get $twOff))))
          (local.set $ar0 (f64x2.relaxed_madd (local.get $c) (local.get $xr) (local.get $ar0)))
          (local.set $ai0 (f64x2.relaxed_madd (local.get $c) (local.get $xi) (local.get $ai0)))
          (local.set $br0 (f64x2.relaxed_madd (local.get $s) (local.get $xr) (local.get $br0)))
          (local.set $bi0 (f64x2.relaxed_madd (local.get $s) (local.get $xi) (local.get $bi0)))
          (local.set $c (v128.load64_splat (local.get $t1)))
          (local.set $s (v128.load64_splat (i32.add (local.get $t1) (local.get $twOff))))
          (local.set $ar1 (f64x2.relaxed_madd (local.get $c) (local.get $xr) (local.get $ar1)))
          (local.set $ai1 (f64x2.relaxed_madd (local.get $c) (local.get $xi) (local.get $ai1)))
          (local.set $br1 (f64x2.relaxed_madd (local.get $s) (local.get $xr) (local.get $br1)))
          (local.set $bi1 (f64x2.relaxed_madd (local.get $s) (local.get $xi) (local.get $bi1)))
          (local.set $t0 (i32.add (local.get $t0) (i32.const 8)))
          (local.set $t1 (i32.add (local.get $t1) (i32.const 8)))
          (local.set $p (i32.add (local.get $p) (local.get $kStep)))
          (br $knext)))
        ;; out[u] = (ar + bi) + i (ai - br), out[-u] = (ar - bi) + i (ai + br)
        (v128.store (i32.add (local.get $o0) (local.get $j)) (f64x2.add (local.get $ar0) (local.get $bi0)))
        (v128.store (i32.add (i32.add (local.get $o0) (local.get $outOff)) (local.get $j)) (f64x2.sub (local.get $ai0) (local.get $br0)))
        (v128.store (i32.add (local.get $n0) (local.get $j)) (f64x2.sub (local.get $ar0) (local.get $bi0)))
        (v128.store (i32.add (i32.add (local.get $n0) (local.get $outOff)) (local.get $j)) (f64x2.add (local.get $ai0) (local.get $br0)))
        (v128.store (i32.add (local.get $o1) (local.get $j)) (f64x2.add (local.get $ar1) (local.get $bi1)))
        (v128.store (i32.add (i32.add (local.get $o1) (local.get $outOff)) (local.get $j)) (f64x2.sub (local.get $ai1) (local.get $br1)))
        (v128.store (i32.add (local.get $n1) (local.get $j)) (f64x2.sub (local.get $ar1) (local.get $bi1)))
        (v128.store (i32.add (i32.add (local.get $n1) (local.get $outOff)) (local.get $j)) (f64x2.add (local.get $ai1) (local.get $br1)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jnext)))
      (local.set $f (i32.add (local.get $f) (i32.const 2)))
      (br $fnext)))
    (local.set $jb (local.get $je))
    (br $bnext))))

  ;; gather(in, imOff, inStride, K, sc, jb, je, size): lanes [jb, je) (at most 8 KB) of the K rows in + k inStride
  ;; to sc + size (K q + k), q = (j - jb) / 16 the lane vector: size 32, complex rows (the real part, then the
  ;; imaginary part imOff on), or 16, real rows (imOff unused).
  (func $gather (param $in i32) (param $imOff i32) (param $inStride i32) (param $K i32) (param $sc i32)
    (param $jb i32) (param $je i32) (param $size i32)
    (local $k i32) (local $p i32) (local $o i32) (local $j i32) (local $rec i32)
    (local.set $rec (i32.mul (local.get $K) (local.get $size)))
    (block $kdone (loop $knext
      (br_if $kdone (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $p (i32.add (local.get $in) (i32.mul (local.get $k) (local.get $inStride))))
      (local.set $o (i32.add (local.get $sc) (i32.mul (local.get $k) (local.get $size))))
      (local.set $j (local.get $jb))
      (block $jdone (loop $jnext
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $je)))
        (v128.store (local.get $o) (v128.load (i32.add (local.get $p) (local.get $j))))
        (if (i32.eq (local.get $size) (i32.const 32))
          (then (v128.store offset=16 (local.get $o)
            (v128.load (i32.add (i32.add (local.get $p) (local.get $imOff)) (local.get $j))))))
        (local.set $o (i32.add (local.get $o) (local.get $rec)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jnext)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $knext))))

  ;; cmixpm's last u = F - 1 when F is odd (always here: F = s_h), alone instead of twice in a pair: the same chains, over
  ;; two lane vectors at a time (lanes are multiples of 32 bytes), read as cmixpm reads them (base, jMul, kStep, imStep;
  ;; lane j + 16 vStep on). t: its twiddles (cos, twOff on to sin), o and n: the output rows u and -u (outOff on to the
  ;; imaginary parts).
  (func $cmixpm1 (param $base i32) (param $jMul i32) (param $kStep i32) (param $imStep i32) (param $vStep i32)
    (param $K i32) (param $t i32) (param $twOff i32)
    (param $o i32) (param $n i32) (param $outOff i32) (param $jb i32) (param $je i32)
    (local $j i32) (local $k i32) (local $p i32) (local $q i32)
    (local $c v128) (local $s v128) (local $xr v128) (local $xi v128)
    (local $ar0 v128) (local $ai0 v128) (local $br0 v128) (local $bi0 v128)
    (local $ar1 v128) (local $ai1 v128) (local $br1 v128) (local $bi1 v128)
    (local.set $j (local.get $jb))
    (block $jdone (loop $jnext
      (br_if $jdone (i32.ge_u (local.get $j) (local.get $je)))
      (local.set $ar0 (f64x2.splat (f64.const 0))) (local.set $ai0 (f64x2.splat (f64.const 0)))
      (local.set $br0 (f64x2.splat (f64.const 0))) (local.set $bi0 (f64x2.splat (f64.const 0)))
      (local.set $ar1 (f64x2.splat (f64.const 0))) (local.set $ai1 (f64x2.splat (f64.const 0)))
      (local.set $br1 (f64x2.splat (f64.const 0))) (local.set $bi1 (f64x2.splat (f64.const 0)))
      (local.set $p (i32.add (local.get $base) (i32.mul (i32.sub (local.get $j) (local.get $jb)) (local.get $jMul))))
      (local.set $q (i32.add (local.get $p) (local.get $vStep)))
      (local.set $k (i32.const 0))
      (block $kdone (loop $knext
        (br_if $kdone (i32.ge_u (local.get $k) (local.get $K)))
        (local.set $c (v128.load64_splat (i32.add (local.get $t) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $s (v128.load64_splat (i32.add (i32.add (local.get $t) (local.get $twOff)) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $xr (v128.load (local.get $p)))
        (local.set $xi (v128.load (i32.add (local.get $p) (local.get $imStep))))
        (local.set $ar0 (f64x2.relaxed_madd (local.get $c) (local.get $xr) (local.get $ar0)))
        (local.set $ai0 (f64x2.relaxed_madd (local.get $c) (local.get $xi) (local.get $ai0)))
        (local.set $br0 (f64x2.relaxed_madd (local.get $s) (local.get $xr) (local.get $br0)))
        (local.set $bi0 (f64x2.relaxed_madd (local.get $s) (local.get $xi) (local.get $bi0)))
        (local.set $xr (v128.load (local.get $q)))
        (local.set $xi (v128.load (i32.add (local.get $q) (local.get $imStep))))
        (local.set $ar1 (f64x2.relaxed_madd (local.get $c) (local.get $xr) (local.get $ar1)))
        (local.set $ai1 (f64x2.relaxed_madd (local.get $c) (local.get $xi) (local.get $ai1)))
        (local.set $br1 (f64x2.relaxed_madd (local.get $s) (local.get $xr) (local.get $br1)))
        (local.set $bi1 (f64x2.relaxed_madd (local.get $s) (local.get $xi) (local.get $bi1)))
        (local.set $p (i32.add (local.get $p) (local.get $kStep)))
        (local.set $q (i32.add (local.get $q) (local.get $kStep)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $knext)))
      ;; out[u] = (ar + bi) + i (ai - br), out[-u] = (ar - bi) + i (ai + br)
      (v128.store (i32.add (local.get $o) (local.get $j)) (f64x2.add (local.get $ar0) (local.get $bi0)))
      (v128.store offset=16 (i32.add (local.get $o) (local.get $j)) (f64x2.add (local.get $ar1) (local.get $bi1)))
      (v128.store (i32.add (i32.add (local.get $o) (local.get $outOff)) (local.get $j)) (f64x2.sub (local.get $ai0) (local.get $br0)))
      (v128.store offset=16 (i32.add (i32.add (local.get $o) (local.get $outOff)) (local.get $j)) (f64x2.sub (local.get $ai1) (local.get $br1)))
      (v128.store (i32.add (local.get $n) (local.get $j)) (f64x2.sub (local.get $ar0) (local.get $bi0)))
      (v128.store offset=16 (i32.add (local.get $n) (local.get $j)) (f64x2.sub (local.get $ar1) (local.get $bi1)))
      (v128.store (i32.add (i32.add (local.get $n) (local.get $outOff)) (local.get $j)) (f64x2.add (local.get $ai0) (local.get $br0)))
      (v128.store offset=16 (i32.add (i32.add (local.get $n) (local.get $outOff)) (local.get $j)) (f64x2.add (local.get $ai1) (local.get $br1)))
      (local.set $j (i32.add (local.get $j) (i32.const 32)))
      (br $jnext))))

  ;; (nh - min(f, F - 1)) mod nh: the row of -u
  (func $neg (param $f i32) (param $F i32) (param $nh i32) (result i32)
    (local $u i32)
    (local.set $u (select (local.get $f) (i32.sub (local.get $F) (i32.const 1)) (i32.lt_u (local.get $f) (local.get $F))))
    (select (i32.sub (local.get $nh) (local.get $u)) (i32.const 0) (local.get $u)))

  ;; rmix: real input (the spatial kernel), complex output: (c + i s) x. From K = 7 rows, each block of 8 KB of lanes of
  ;; the K input rows is first copied lane vector by lane vector to sc (gather: K x 8 KB).
  (func $rmix (export "rmix")
    (param $in i32) (param $inStride i32) (param $K i32)
    (param $twRe i32) (param $twIm i32) (param $F i32)
    (param $outRe i32) (param $outIm i32) (param $outStride i32) (param $sc i32) (param $j0 i32) (param $j1 i32)
    (local $gat i32) (local $base i32) (local $kStep i32) (local $jMul i32)
    (local $f i32) (local $j i32) (local $jb i32) (local $je i32) (local $k i32) (local $p i32) (local $twOff i32) (local $kk i32)
    (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32) (local $outOff i32)
    (local $x v128)
    (local $r0 v128) (local $i0 v128) (local $r1 v128) (local $i1 v128)
    (local $r2 v128) (local $i2 v128) (local $r3 v128) (local $i3 v128)
    (local.set $twOff (i32.sub (local.get $twIm) (local.get $twRe)))
    (local.set $outOff (i32.sub (local.get $outIm) (local.get $outRe)))
    ;; lane j of row k at base + jMul (j - jb) + k kStep: in place, or in gather's copy (16 bytes per row)
    (local.set $gat (i32.ge_u (local.get $K) (i32.const 7)))
    (local.set $kStep (select (i32.const 16) (local.get $inStride) (local.get $gat)))
    (local.set $jMul (select (local.get $K) (i32.const 1) (local.get $gat)))
    ;; lanes in blocks of 8 KB, so that the K input rows of a block (or their copy) stay in L2 while every row f reads
    ;; them
    (local.set $jb (local.get $j0))
    (block $bdone (loop $bnext
    (br_if $bdone (i32.ge_u (local.get $jb) (local.get $j1)))
    (local.set $je (select (i32.add (local.get $jb) (i32.const 8192)) (local.get $j1)
      (i32.lt_u (i32.add (local.get $jb) (i32.const 8192)) (local.get $j1))))
    (if (local.get $gat) (then (call $gather (local.get $in) (i32.const 0) (local.get $inStride) (local.get $K)
      (local.get $sc) (local.get $jb) (local.get $je) (i32.const 16))))
    (local.set $base (select (local.get $sc) (i32.add (local.get $in) (local.get $jb)) (local.get $gat)))
    (local.set $f (i32.const 0))
    (block $fdone (loop $fnext
      (br_if $fdone (i32.ge_u (local.get $f) (local.get $F)))
      (if (i32.eq (i32.sub (local.get $F) (local.get $f)) (i32.const 1))
        (then
          (call $rmix1 (local.get $base) (local.get $jMul) (local.get $kStep)
            (select (i32.mul (local.get $K) (i32.const 16)) (i32.const 16) (local.get $gat)) (local.get $K)
            (call $tw (local.get $twRe) (local.get $f) (local.get $F) (local.get $K)) (local.get $twOff)
            (call $row (local.get $outRe) (local.get $f) (local.get $F) (local.get $outStride)) (local.get $outOff)
            (local.get $jb) (local.get $je))
          (br $fdone)))
      (local.set $t0 (call $tw (local.get $twRe) (local.get $f) (local.get $F) (local.get $K)))
      (local.set $t1 (call $tw (local.get $twRe) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $K)))
      (local.set $t2 (call $tw (local.get $twRe) (i32.add (local.get $f) (i32.const 2)) (local.get $F) (local.get $K)))
      (local.set $t3 (call $tw (local.get $twRe) (i32.add (local.get $f) (i32.const 3)) (local.get $F) (local.get $K)))
      ;; the output rows of this block, once (a call in the lane loop spills every live SIMD register)
      (local.set $o0 (call $row (local.get $outRe) (local.get $f) (local.get $F) (local.get $outStride)))
      (local.set $o1 (call $row (local.get $outRe) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $outStride)))
      (local.set $o2 (call $row (local.get $outRe) (i32.add (local.get $f) (i32.const 2)) (local.get $F) (local.get $outStride)))
      (local.set $o3 (call $row (local.get $outRe) (i32.add (local.get $f) (i32.const 3)) (local.get $F) (local.get $outStride)))
      (local.set $j (local.get $jb))
      (block $jdone (loop $jnext
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $je)))
        (local.set $r0 (f64x2.splat (f64.const 0))) (local.set $i0 (f64x2.splat (f64.const 0)))
        (local.set $r1 (f64x2.splat (f64.const 0))) (local.set $i1 (f64x2.splat (f64.const 0)))
        (local.set $r2 (f64x2.splat (f64.const 0))) (local.set $i2 (f64x2.splat (f64.const 0)))
        (local.set $r3 (f64x2.splat (f64.const 0))) (local.set $i3 (f64x2.splat (f64.const 0)))
        (local.set $k (i32.const 0))
        (local.set $p (i32.add (local.get $base) (i32.mul (i32.sub (local.get $j) (local.get $jb)) (local.get $jMul))))
        (block $kdone (loop $knext
          (br_if $kdone (i32.ge_u (local.get $k) (local.get $K)))
          (local.set $x (v128.load (local.get $p)))
          (local.set $kk (i32.shl (local.get $k) (i32.const 3)))
          (local.set $r0 (f64x2.relaxed_madd (v128.load64_splat (i32.add (local.get $t0) (local.get $kk))) (local.get $x) (local.get $r0)))
          (local.set $i0 (f64x2.relaxed_madd (v128.load64_splat (i32.add (i32.add (local.get $t0) (local.get $twOff)) (local.get $kk))) (local.get $x) (local.get $i0)))
          (local.set $r1 (f64x2.relaxed_madd (v128.load64_splat (i32.add (local.get $t1) (local.get $kk))) (local.get $x) (local.get $r1)))
          (local.set $i1 (f64x2.relaxed_madd (v128.load64_splat (i32.add (i32.add (local.get $t1) (local.get $twOff)) (local.get $kk))) (local.get $x) (local.get $i1)))
          (local.set $r2 (f64x2.relaxed_madd (v128.load64_splat (i32.add (local.get $t2) (local.get $kk))) (local.get $x) (local.get $r2)))
          (local.set $i2 (f64x2.relaxed_madd (v128.load64_splat (i32.add (i32.add (local.get $t2) (local.get $twOff)) (local.get $kk))) (local.get $x) (local.get $i2)))
          (local.set $r3 (f64x2.relaxed_madd (v128.load64_splat (i32.add (local.get $t3) (local.get $kk))) (local.get $x) (local.get $r3)))
          (local.set $i3 (f64x2.relaxed_madd (v128.load64_splat (i32.add (i32.add (local.get $t3) (local.get $twOff)) (local.get $kk))) (local.get $x) (local.get $i3)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (local.set $p (i32.add (local.get $p) (local.get $kStep)))
          (br $knext)))
        (v128.store (i32.add (local.get $o0) (local.get $j)) (local.get $r0))
        (v128.store (i32.add (i32.add (local.get $o0) (local.get $outOff)) (local.get $j)) (local.get $i0))
        (v128.store (i32.add (local.get $o1) (local.get $j)) (local.get $r1))
        (v128.store (i32.add (i32.add (local.get $o1) (local.get $outOff)) (local.get $j)) (local.get $i1))
        (v128.store (i32.add (local.get $o2) (local.get $j)) (local.get $r2))
        (v128.store (i32.add (i32.add (local.get $o2) (local.get $outOff)) (local.get $j)) (local.get $i2))
        (v128.store (i32.add (local.get $o3) (local.get $j)) (local.get $r3))
        (v128.store (i32.add (i32.add (local.get $o3) (local.get $outOff)) (local.get $j)) (local.get $i3))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jnext)))
      (local.set $f (i32.add (local.get $f) (i32.const 4)))
      (br $fnext)))
    (local.set $jb (local.get $je))
    (br $bnext))))

  ;; rmix's last row f = F - 1 when F = 4 q + 1 (every F here but 3: s_w = 2^j + 1), alone instead of in a block of
  ;; four that computes it four times: the same chain per output, over two lane vectors at a time (lanes [jb, je) are
  ;; multiples of 32 bytes: P and C are even). Lane j of row k at base + jMul (j - jb) + k kStep, lane j + 16 vStep on
  ;; (as rmix reads it). t: the row's twiddles (twOff on to the imaginary parts), o: its output row (outOff on to the
  ;; imaginary part).
  (func $rmix1 (param $base i32) (param $jMul i32) (param $kStep i32) (param $vStep i32) (param $K i32) (param $t i32)
    (param $twOff i32) (param $o i32) (param $outOff i32) (param $jb i32) (param $je i32)
    (local $j i32) (local $k i32) (local $p i32) (local $q i32)
    (local $c v128) (local $s v128) (local $x0 v128) (local $x1 v128)
    (local $r0 v128) (local $i0 v128) (local $r1 v128) (local $i1 v128)
    (local.set $j (local.get $jb))
    (block $jdone (loop $jnext
      (br_if $jdone (i32.ge_u (local.get $j) (local.get $je)))
      (local.set $r0 (f64x2.splat (f64.const 0))) (local.set $i0 (f64x2.splat (f64.const 0)))
      (local.set $r1 (f64x2.splat (f64.const 0))) (local.set $i1 (f64x2.splat (f64.const 0)))
      (local.set $p (i32.add (local.get $base) (i32.mul (i32.sub (local.get $j) (local.get $jb)) (local.get $jMul))))
      (local.set $q (i32.add (local.get $p) (local.get $vStep)))
      (local.set $k (i32.const 0))
      (block $kdone (loop $knext
        (br_if $kdone (i32.ge_u (local.get $k) (local.get $K)))
        (local.set $c (v128.load64_splat (i32.add (local.get $t) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $s (v128.load64_splat (i32.add (i32.add (local.get $t) (local.get $twOff)) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $x0 (v128.load (local.get $p)))
        (local.set $x1 (v128.load (local.get $q)))
        (local.set $r0 (f64x2.relaxed_madd (local.get $c) (local.get $x0) (local.get $r0)))
        (local.set $i0 (f64x2.relaxed_madd (local.get $s) (local.get $x0) (local.get $i0)))
        (local.set $r1 (f64x2.relaxed_madd (local.get $c) (local.get $x1) (local.get $r1)))
        (local.set $i1 (f64x2.relaxed_madd (local.get $s) (local.get $x1) (local.get $i1)))
        (local.set $p (i32.add (local.get $p) (local.get $kStep)))
        (local.set $q (i32.add (local.get $q) (local.get $kStep)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $knext)))
      (v128.store (i32.add (local.get $o) (local.get $j)) (local.get $r0))
      (v128.store offset=16 (i32.add (local.get $o) (local.get $j)) (local.get $r1))
      (v128.store (i32.add (i32.add (local.get $o) (local.get $outOff)) (local.get $j)) (local.get $i0))
      (v128.store offset=16 (i32.add (i32.add (local.get $o) (local.get $outOff)) (local.get $j)) (local.get $i1))
      (local.set $j (i32.add (local.get $j) (i32.const 32)))
      (br $jnext))))

  ;; transpose(from, to, P): to[a][b] = from[b][a] for a P x P block of doubles (P even), in 16 x 16 tiles (the tile's
  ;; source rows stay in cache and their pages in the TLB while it is read across) of 2 x 2 blocks: two loaded rows,
  ;; two shuffled stores. The mirrored taps Z(-d) = Z(d)^T of a correlation (toeplitz-step.ts mirror); exact.
  (func $transpose (export "transpose") (param $from i32) (param $to i32) (param $P i32)
    (local $a0 i32) (local $b0 i32) (local $a1 i32) (local $b1 i32) (local $a i32) (local $b i32) (local $row i32)
    (local $src i32) (local $dst i32) (local $r0 v128) (local $r1 v128)
    (local.set $row (i32.shl (local.get $P) (i32.const 3)))
    (block $a0done (loop $a0next
      (br_if $a0done (i32.ge_u (local.get $a0) (local.get $P)))
      (local.set $a1 (select (i32.add (local.get $a0) (i32.const 16)) (local.get $P)
        (i32.lt_u (i32.add (local.get $a0) (i32.const 16)) (local.get $P))))
      (local.set $b0 (i32.const 0))
      (block $b0done (loop $b0next
        (br_if $b0done (i32.ge_u (local.get $b0) (local.get $P)))
        (local.set $b1 (select (i32.add (local.get $b0) (i32.const 16)) (local.get $P)
          (i32.lt_u (i32.add (local.get $b0) (i32.const 16)) (local.get $P))))
        (local.set $a (local.get $a0))
        (block $adone (loop $anext
          (br_if $adone (i32.ge_u (local.get $a) (local.get $a1)))
          (local.set $b (local.get $b0))
          (block $bdone (loop $bnext
            (br_if $bdone (i32.ge_u (local.get $b) (local.get $b1)))
            ;; (Z[b][a], Z[b][a+1]) and (Z[b+1][a], Z[b+1][a+1]) -> rows a and a + 1 of the transpose at columns b, b+1
            (local.set $src (i32.add (local.get $from)
              (i32.shl (i32.add (i32.mul (local.get $b) (local.get $P)) (local.get $a)) (i32.const 3))))
            (local.set $r0 (v128.load (local.get $src)))
            (local.set $r1 (v128.load (i32.add (local.get $src) (local.get $row))))
            (local.set $dst (i32.add (local.get $to)
              (i32.shl (i32.add (i32.mul (local.get $a) (local.get $P)) (local.get $b)) (i32.const 3))))
            (v128.store (local.get $dst)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r0) (local.get $r1)))
            (v128.store (i32.add (local.get $dst) (local.get $row))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $b (i32.add (local.get $b) (i32.const 2)))
            (br $bnext)))
          (local.set $a (i32.add (local.get $a) (i32.const 2)))
          (br $anext)))
        (local.set $b0 (i32.add (local.get $b0) (i32.const 16)))
        (br $b0next)))
      (local.set $a0 (i32.add (local.get $a0) (i32.const 16)))
      (br $a0next))))

  ;; sumsq(p, n): the float64 sum of the squares of n doubles at p (n even), in two lanes: a float64 sum of n squares in
  ;; some order (toeplitz-enclosure.ts's sumUpper holds for any order).
  (func $sumsq (export "sumsq") (param $p i32) (param $n i32) (result f64)
    (local $end i32) (local $v v128) (local $acc v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $acc (f64x2.splat (f64.const 0)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $v) (local.get $v))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next)))
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))

  ;; scale(p, n, s): multiply n doubles at p (n even) by s, a power of two (exact but for underflow).
  (func $scale (export "scale") (param $p i32) (param $n i32) (param $s f64)
    (local $end i32) (local $vs v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $vs (f64x2.splat (local.get $s)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (v128.store (local.get $p) (f64x2.mul (v128.load (local.get $p)) (local.get $vs)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next))))

  ;; abssum(p, P, rows, cols): for the P x P block Z at p (P even), rows[a] += sum_b |Z[a][b]| and cols[b] += |Z[a][b]|
  ;; (P doubles each): sums of non-negative terms in some order.
  (func $abssum (export "abssum") (param $p i32) (param $P i32) (param $rows i32) (param $cols i32)
    (local $a i32) (local $b i32) (local $rowBytes i32) (local $v v128) (local $acc v128) (local $at i32)
    (local.set $rowBytes (i32.shl (local.get $P) (i32.const 3)))
    (block $adone (loop $anext
      (br_if $adone (i32.ge_u (local.get $a) (local.get $P)))
      (local.set $acc (f64x2.splat (f64.const 0)))
      (local.set $b (i32.const 0))
      (block $bdone (loop $bnext
        (br_if $bdone (i32.ge_u (local.get $b) (local.get $rowBytes)))
        (local.set $v (f64x2.abs (v128.load (i32.add (local.get $p) (local.get $b)))))
        (local.set $acc (f64x2.add (local.get $acc) (local.get $v)))
        (local.set $at (i32.add (local.get $cols) (local.get $b)))
        (v128.store (local.get $at) (f64x2.add (v128.load (local.get $at)) (local.get $v)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $bnext)))
      (local.set $at (i32.add (local.get $rows) (i32.shl (local.get $a) (i32.const 3))))
      (f64.store (local.get $at) (f64.add (f64.load (local.get $at))
        (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))))
      (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $anext))))
)
