;; The DFT stages of the Toeplitz bound (Delattre, Barthélemy & Allauzen 2024): every self-correlation goes to the
;; frequency domain and back (engine/bounds/methods/toeplitz-heap.ts), and each stage along one axis is a small
;; complex matrix (twiddles, F x K) times K long rows of channel pairs: out[f][j] = sum_k tw[f][k] in[k][j] for every
;; lane j of the P x P channel block. Bound by toeplitz-heap.ts; the rounding analysis that keeps the bound
;; guaranteed is in toeplitz-enclosure.ts.
;;
;; Why: V8's scalar float64 loop did these at ~1 GMAC/s and they were most of the Toeplitz time. Four outputs f at a
;; time share each loaded input lane pair, in float64 (f64x2). The per-frequency Grams in between are gauss below; the
;; helpers sumsq, scale and abssum serve the enclosure's norms and the final row sums.
;;
;; Layout (byte offsets into the imported memory): input row k at in + k inStride (real part; imaginary part at
;; inIm + k inStride), output row f at out + f outStride (imaginary part at outIm + f outStride), twiddle (f, k) at
;; twRe + 8 (f K + k) and twIm + 8 (f K + k). Lanes [j0, j1) in bytes, multiples of 16, so that two threads can
;; split one call (toeplitz-heap.ts). F need not be a multiple of 4: a last short block recomputes row F - 1.
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

;; cmixpm(inRe, inIm, inStride, K, twC, twS, F, nh, outRe, outIm, outStride, j0, j1): the DFT along u of the
  ;; forward transform, both frequencies u and -u of each pair at once (half the multiply-adds of a complex matrix):
  ;; with A = sum_k c[u][k] in[k] and B = sum_k s[u][k] in[k] (c, s = cos, sin of 2 pi u k / nh),
  ;;   out[u] = sum_k in[k] e^{-2 pi i u k / nh} = (A_r + B_i) + i (A_i - B_r),  out[-u] = (A_r - B_i) + i (A_i + B_r),
  ;; for u in [0, F), rows u and (nh - u) mod nh (at u = 0, s = 0 and both are the same row, written twice alike).
  ;; Rounding: chains of K multiply-adds, then one add: gamma_{K+1} sum_k (|c| + |s|) |in_k| per part.
  (func $cmixpm (export "cmixpm")
    (param $inRe i32) (param $inIm i32) (param $inStride i32) (param $K i32)
    (param $twC i32) (param $twS i32) (param $F i32) (param $nh i32)
    (param $outRe i32) (param $outIm i32) (param $outStride i32) (param $j0 i32) (param $j1 i32)
    (local $f i32) (local $j i32) (local $jb i32) (local $je i32) (local $k i32) (local $p i32) (local $kk i32)
    (local $twOff i32) (local $imOff i32) (local $outOff i32) (local $t0 i32) (local $t1 i32)
    (local $o0 i32) (local $n0 i32) (local $o1 i32) (local $n1 i32)
    (local $xr v128) (local $xi v128) (local $c v128) (local $s v128)
    (local $ar0 v128) (local $ai0 v128) (local $br0 v128) (local $bi0 v128)
    (local $ar1 v128) (local $ai1 v128) (local $br1 v128) (local $bi1 v128)
    (local.set $twOff (i32.sub (local.get $twS) (local.get $twC)))
    (local.set $imOff (i32.sub (local.get $inIm) (local.get $inRe)))
    (local.set $outOff (i32.sub (local.get $outIm) (local.get $outRe)))
    ;; lanes in blocks of 8 KB, so that the K input rows of a block stay in L2 while every row f reads them
    (local.set $jb (local.get $j0))
    (block $bdone (loop $bnext
    (br_if $bdone (i32.ge_u (local.get $jb) (local.get $j1)))
    (local.set $je (select (i32.add (local.get $jb) (i32.const 8192)) (local.get $j1)
      (i32.lt_u (i32.add (local.get $jb) (i32.const 8192)) (local.get $j1))))
    (local.set $f (i32.const 0))
    (block $fdone (loop $fnext
      (br_if $fdone (i32.ge_u (local.get $f) (local.get $F)))
      (local.set $t0 (call $tw (local.get $twC) (local.get $f) (local.get $F) (local.get $K)))
      (local.set $t1 (call $tw (local.get $twC) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $K)))
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
        (local.set $k (i32.const 0))
        (local.set $p (i32.add (local.get $inRe) (local.get $j)))
        (block $kdone (loop $knext
          (br_if $kdone (i32.ge_u (local.get $k) (local.get $K)))
          (local.set $xr (v128.load (local.get $p)))
          (local.set $xi (v128.load (i32.add (local.get $p) (local.get $imOff))))
          (local.set $kk (i32.shl (local.get $k) (i32.const 3)))
          (local.set $c (v128.load64_splat (i32.add (local.get $t0) (local.get $kk))))
          (local.set $s (v128.load64_splat (i32.add (i32.add (local.get $t0) (local.get $twOff)) (local.get $kk))))
          (local.set $ar0 (f64x2.relaxed_madd (local.get $c) (local.get $xr) (local.get $ar0)))
          (local.set $ai0 (f64x2.relaxed_madd (local.get $c) (local.get $xi) (local.get $ai0)))
          (local.set $br0 (f64x2.relaxed_madd (local.get $s) (local.get $xr) (local.get $br0)))
          (local.set $bi0 (f64x2.relaxed_madd (local.get $s) (local.get $xi) (local.get $bi0)))
          (local.set $c (v128.load64_splat (i32.add (local.get $t1) (local.get $kk))))
          (local.set $s (v128.load64_splat (i32.add (i32.add (local.get $t1) (local.get $twOff)) (local.get $kk))))
          (local.set $ar1 (f64x2.relaxed_madd (local.get $c) (local.get $xr) (local.get $ar1)))
          (local.set $ai1 (f64x2.relaxed_madd (local.get $c) (local.get $xi) (local.get $ai1)))
          (local.set $br1 (f64x2.relaxed_madd (local.get $s) (local.get $xr) (local.get $br1)))
          (local.set $bi1 (f64x2.relaxed_madd (local.get $s) (local.get $xi) (local.get $bi1)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (local.set $p (i32.add (local.get $p) (local.get $inStride)))
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

  ;; (nh - min(f, F - 1)) mod nh: the row of -u
  (func $neg (param $f i32) (param $F i32) (param $nh i32) (result i32)
    (local $u i32)
    (local.set $u (select (local.get $f) (i32.sub (local.get $F) (i32.const 1)) (i32.lt_u (local.get $f) (local.get $F))))
    (select (i32.sub (local.get $nh) (local.get $u)) (i32.const 0) (local.get $u)))

  ;; cmixpminv(inRe, inIm, inStride, K, twC, twS, F, nh, outRe, outIm, outStride, j0, j1): the inverse DFT along u,
  ;; out[x] = sum_u in[u] e^{+i phi_xu} over all nh rows u, from the pairs (u, -u), u in [0, K):
  ;;   in[u] e^{i phi} + in[-u] e^{-i phi} = c (in[u] + in[-u]) + i s (in[u] - in[-u]),  c, s = twC, twS[x][u],
  ;; with c = 1/2, s = 0 at u = 0 (whose pair is itself: exact). Four rows x at a time; half the multiply-adds of a
  ;; complex matrix. Rounding: one add, then a chain of 2K multiply-adds: gamma_{2K+1} sum_u |in_u| per part.
  (func $cmixpminv (export "cmixpminv")
    (param $inRe i32) (param $inIm i32) (param $inStride i32) (param $K i32)
    (param $twC i32) (param $twS i32) (param $F i32) (param $nh i32)
    (param $outRe i32) (param $outIm i32) (param $outStride i32) (param $j0 i32) (param $j1 i32)
    (local $f i32) (local $j i32) (local $jb i32) (local $je i32) (local $k i32) (local $p i32) (local $q i32) (local $kk i32)
    (local $twOff i32) (local $imOff i32) (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32) (local $outOff i32)
    (local $sr v128) (local $si v128) (local $dr v128) (local $di v128) (local $c v128) (local $s v128)
    (local $r0 v128) (local $i0 v128) (local $r1 v128) (local $i1 v128)
    (local $r2 v128) (local $i2 v128) (local $r3 v128) (local $i3 v128)
    (local.set $twOff (i32.sub (local.get $twS) (local.get $twC)))
    (local.set $outOff (i32.sub (local.get $outIm) (local.get $outRe)))
    (local.set $imOff (i32.sub (local.get $inIm) (local.get $inRe)))
    (local.set $jb (local.get $j0))
    (block $bdone (loop $bnext
    (br_if $bdone (i32.ge_u (local.get $jb) (local.get $j1)))
    (local.set $je (select (i32.add (local.get $jb) (i32.const 8192)) (local.get $j1)
      (i32.lt_u (i32.add (local.get $jb) (i32.const 8192)) (local.get $j1))))
    (local.set $f (i32.const 0))
    (block $fdone (loop $fnext
      (br_if $fdone (i32.ge_u (local.get $f) (local.get $F)))
      (local.set $t0 (call $tw (local.get $twC) (local.get $f) (local.get $F) (local.get $K)))
      (local.set $t1 (call $tw (local.get $twC) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $K)))
      (local.set $t2 (call $tw (local.get $twC) (i32.add (local.get $f) (i32.const 2)) (local.get $F) (local.get $K)))
      (local.set $t3 (call $tw (local.get $twC) (i32.add (local.get $f) (i32.const 3)) (local.get $F) (local.get $K)))
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
        (local.set $p (i32.add (local.get $inRe) (local.get $j)))
        (local.set $q (local.get $p))
        (block $kdone (loop $knext
          (br_if $kdone (i32.ge_u (local.get $k) (local.get $K)))
          (local.set $sr (v128.load (local.get $p)))
          (local.set $si (v128.load (i32.add (local.get $p) (local.get $imOff))))
          (local.set $dr (v128.load (local.get $q)))
          (local.set $di (v128.load (i32.add (local.get $q) (local.get $imOff))))
          (local.set $c (f64x2.add (local.get $sr) (local.get $dr)))
          (local.set $dr (f64x2.sub (local.get $sr) (local.get $dr)))
          (local.set $sr (local.get $c))
          (local.set $c (f64x2.add (local.get $si) (local.get $di)))
          (local.set $di (f64x2.sub (local.get $si) (local.get $di)))
          (local.set $si (local.get $c))
          (local.set $kk (i32.shl (local.get $k) (i32.const 3)))
          ;; re += c sr - s di, im += c si + s dr
          (local.set $c (v128.load64_splat (i32.add (local.get $t0) (local.get $kk))))
          (local.set $s (v128.load64_splat (i32.add (i32.add (local.get $t0) (local.get $twOff)) (local.get $kk))))
          (local.set $r0 (f64x2.relaxed_nmadd (local.get $s) (local.get $di) (f64x2.relaxed_madd (local.get $c) (local.get $sr) (local.get $r0))))
          (local.set $i0 (f64x2.relaxed_madd (local.get $s) (local.get $dr) (f64x2.relaxed_madd (local.get $c) (local.get $si) (local.get $i0))))
          (local.set $c (v128.load64_splat (i32.add (local.get $t1) (local.get $kk))))
          (local.set $s (v128.load64_splat (i32.add (i32.add (local.get $t1) (local.get $twOff)) (local.get $kk))))
          (local.set $r1 (f64x2.relaxed_nmadd (local.get $s) (local.get $di) (f64x2.relaxed_madd (local.get $c) (local.get $sr) (local.get $r1))))
          (local.set $i1 (f64x2.relaxed_madd (local.get $s) (local.get $dr) (f64x2.relaxed_madd (local.get $c) (local.get $si) (local.get $i1))))
          (local.set $c (v128.load64_splat (i32.add (local.get $t2) (local.get $kk))))
          (local.set $s (v128.load64_splat (i32.add (i32.add (local.get $t2) (local.get $twOff)) (local.get $kk))))
          (local.set $r2 (f64x2.relaxed_nmadd (local.get $s) (local.get $di) (f64x2.relaxed_madd (local.get $c) (local.get $sr) (local.get $r2))))
          (local.set $i2 (f64x2.relaxed_madd (local.get $s) (local.get $dr) (f64x2.relaxed_madd (local.get $c) (local.get $si) (local.get $i2))))
          (local.set $c (v128.load64_splat (i32.add (local.get $t3) (local.get $kk))))
          (local.set $s (v128.load64_splat (i32.add (i32.add (local.get $t3) (local.get $twOff)) (local.get $kk))))
          (local.set $r3 (f64x2.relaxed_nmadd (local.get $s) (local.get $di) (f64x2.relaxed_madd (local.get $c) (local.get $sr) (local.get $r3))))
          (local.set $i3 (f64x2.relaxed_madd (local.get $s) (local.get $dr) (f64x2.relaxed_madd (local.get $c) (local.get $si) (local.get $i3))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (local.set $p (i32.add (local.get $p) (local.get $inStride)))
          ;; the row of -u = nh - k for the next k >= 1
          (local.set $q (i32.add (local.get $inRe)
            (i32.add (local.get $j) (i32.mul (i32.sub (local.get $nh) (local.get $k)) (local.get $inStride)))))
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

  ;; rmix: real input (the spatial kernel), complex output: (c + i s) x.
  (func $rmix (export "rmix")
    (param $in i32) (param $inStride i32) (param $K i32)
    (param $twRe i32) (param $twIm i32) (param $F i32)
    (param $outRe i32) (param $outIm i32) (param $outStride i32) (param $j0 i32) (param $j1 i32)
    (local $f i32) (local $j i32) (local $jb i32) (local $je i32) (local $k i32) (local $p i32) (local $twOff i32) (local $kk i32)
    (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32) (local $outOff i32)
    (local $x v128)
    (local $r0 v128) (local $i0 v128) (local $r1 v128) (local $i1 v128)
    (local $r2 v128) (local $i2 v128) (local $r3 v128) (local $i3 v128)
    (local.set $twOff (i32.sub (local.get $twIm) (local.get $twRe)))
    (local.set $outOff (i32.sub (local.get $outIm) (local.get $outRe)))
    ;; lanes in blocks of 8 KB, so that the K input rows of a block stay in L2 while every row f reads them
    (local.set $jb (local.get $j0))
    (block $bdone (loop $bnext
    (br_if $bdone (i32.ge_u (local.get $jb) (local.get $j1)))
    (local.set $je (select (i32.add (local.get $jb) (i32.const 8192)) (local.get $j1)
      (i32.lt_u (i32.add (local.get $jb) (i32.const 8192)) (local.get $j1))))
    (local.set $f (i32.const 0))
    (block $fdone (loop $fnext
      (br_if $fdone (i32.ge_u (local.get $f) (local.get $F)))
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
        (local.set $p (i32.add (local.get $in) (local.get $j)))
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
          (local.set $p (i32.add (local.get $p) (local.get $inStride)))
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

  ;; cmixr: complex input, real part of the output only: c xr - s xi.
  (func $cmixr (export "cmixr")
    (param $inRe i32) (param $inIm i32) (param $inStride i32) (param $K i32)
    (param $twRe i32) (param $twIm i32) (param $F i32)
    (param $out i32) (param $outStride i32) (param $j0 i32) (param $j1 i32)
    (local $f i32) (local $j i32) (local $jb i32) (local $je i32) (local $k i32) (local $p i32) (local $twOff i32) (local $kk i32) (local $imOff i32)
    (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $xr v128) (local $xi v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local.set $twOff (i32.sub (local.get $twIm) (local.get $twRe)))
    (local.set $imOff (i32.sub (local.get $inIm) (local.get $inRe)))
    ;; lanes in blocks of 8 KB, so that the K input rows of a block stay in L2 while every row f reads them
    (local.set $jb (local.get $j0))
    (block $bdone (loop $bnext
    (br_if $bdone (i32.ge_u (local.get $jb) (local.get $j1)))
    (local.set $je (select (i32.add (local.get $jb) (i32.const 8192)) (local.get $j1)
      (i32.lt_u (i32.add (local.get $jb) (i32.const 8192)) (local.get $j1))))
    (local.set $f (i32.const 0))
    (block $fdone (loop $fnext
      (br_if $fdone (i32.ge_u (local.get $f) (local.get $F)))
      (local.set $t0 (call $tw (local.get $twRe) (local.get $f) (local.get $F) (local.get $K)))
      (local.set $t1 (call $tw (local.get $twRe) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $K)))
      (local.set $t2 (call $tw (local.get $twRe) (i32.add (local.get $f) (i32.const 2)) (local.get $F) (local.get $K)))
      (local.set $t3 (call $tw (local.get $twRe) (i32.add (local.get $f) (i32.const 3)) (local.get $F) (local.get $K)))
      ;; the output rows of this block, once (a call in the lane loop spills every live SIMD register)
      (local.set $o0 (call $row (local.get $out) (local.get $f) (local.get $F) (local.get $outStride)))
      (local.set $o1 (call $row (local.get $out) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $outStride)))
      (local.set $o2 (call $row (local.get $out) (i32.add (local.get $f) (i32.const 2)) (local.get $F) (local.get $outStride)))
      (local.set $o3 (call $row (local.get $out) (i32.add (local.get $f) (i32.const 3)) (local.get $F) (local.get $outStride)))
      (local.set $j (local.get $jb))
      (block $jdone (loop $jnext
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $je)))
        (local.set $r0 (f64x2.splat (f64.const 0))) (local.set $r1 (f64x2.splat (f64.const 0)))
        (local.set $r2 (f64x2.splat (f64.const 0))) (local.set $r3 (f64x2.splat (f64.const 0)))
        (local.set $k (i32.const 0))
        (local.set $p (i32.add (local.get $inRe) (local.get $j)))
        (block $kdone (loop $knext
          (br_if $kdone (i32.ge_u (local.get $k) (local.get $K)))
          (local.set $xr (v128.load (local.get $p)))
          (local.set $xi (v128.load (i32.add (local.get $p) (local.get $imOff))))
          (local.set $kk (i32.shl (local.get $k) (i32.const 3)))
          (local.set $r0 (f64x2.relaxed_nmadd (v128.load64_splat (i32.add (i32.add (local.get $t0) (local.get $twOff)) (local.get $kk))) (local.get $xi)
            (f64x2.relaxed_madd (v128.load64_splat (i32.add (local.get $t0) (local.get $kk))) (local.get $xr) (local.get $r0))))
          (local.set $r1 (f64x2.relaxed_nmadd (v128.load64_splat (i32.add (i32.add (local.get $t1) (local.get $twOff)) (local.get $kk))) (local.get $xi)
            (f64x2.relaxed_madd (v128.load64_splat (i32.add (local.get $t1) (local.get $kk))) (local.get $xr) (local.get $r1))))
          (local.set $r2 (f64x2.relaxed_nmadd (v128.load64_splat (i32.add (i32.add (local.get $t2) (local.get $twOff)) (local.get $kk))) (local.get $xi)
            (f64x2.relaxed_madd (v128.load64_splat (i32.add (local.get $t2) (local.get $kk))) (local.get $xr) (local.get $r2))))
          (local.set $r3 (f64x2.relaxed_nmadd (v128.load64_splat (i32.add (i32.add (local.get $t3) (local.get $twOff)) (local.get $kk))) (local.get $xi)
            (f64x2.relaxed_madd (v128.load64_splat (i32.add (local.get $t3) (local.get $kk))) (local.get $xr) (local.get $r3))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (local.set $p (i32.add (local.get $p) (local.get $inStride)))
          (br $knext)))
        (v128.store (i32.add (local.get $o0) (local.get $j)) (local.get $r0))
        (v128.store (i32.add (local.get $o1) (local.get $j)) (local.get $r1))
        (v128.store (i32.add (local.get $o2) (local.get $j)) (local.get $r2))
        (v128.store (i32.add (local.get $o3) (local.get $j)) (local.get $r3))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jnext)))
      (local.set $f (i32.add (local.get $f) (i32.const 4)))
      (br $fnext)))
    (local.set $jb (local.get $je))
    (br $bnext))))

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

  ;; gauss(re, im, P, C, outRe, outIm, sd): Z = A A^H (P x P, both triangles) of the complex P x C matrix A = X + iY
  ;; (X at re, Y at im, row-major; P and C even) by Gauss's three real products instead of four: with the dot
  ;; products over the C columns
  ;;   T1 = X_a . X_b,  T2 = Y_a . Y_b,  T3 = (X + Y)_a . (X - Y)_b,
  ;;   Re Z_ab = T1 + T2,  Im Z_ab = Y_a . X_b - X_a . Y_b = T3 - (T1 - T2),
  ;; as three passes of gaussPass over the blocks b <= a (each writing the mirror b > a of what it finishes), with
  ;; X + Y and X - Y in the scratch sd (2 P C doubles). Why three passes: the three products of one block at once
  ;; need twelve accumulators, which with the loaded operands spill out of V8's fifteen SIMD registers (measured 1.7x
  ;; slower than four products); one product at a time runs eight accumulators at the FMA peak.
  ;; Rounding (toeplitz-enclosure.ts): per lane a chain of C / 2 multiply-adds, one lane sum, then one add (Re) or two
  ;; (Im), the operands X + Y and X - Y rounded once: |error| <= gamma_{C+1} m_ab (Re) and
  ;; gamma_{C+4} (sum_c |X_a X_b| + |Y_a Y_b| + |X + Y|_a |X - Y|_b) <= 3 gamma_{C+4} m_ab (Im), m_ab = sum_c |A_ac| |A_bc|.
  (func $gauss (export "gauss")
    (param $re i32) (param $im i32) (param $P i32) (param $C i32) (param $outRe i32) (param $outIm i32) (param $sd i32)
    (local $n i32)
    (local.set $n (i32.mul (local.get $P) (local.get $C)))
    (call $sumdiff (local.get $re) (local.get $im) (local.get $sd)
      (i32.add (local.get $sd) (i32.shl (local.get $n) (i32.const 3))) (local.get $n))
    (call $gaussPass (local.get $re) (local.get $re) (local.get $P) (local.get $C) (local.get $outRe) (local.get $outIm) (i32.const 0))
    (call $gaussPass (local.get $im) (local.get $im) (local.get $P) (local.get $C) (local.get $outRe) (local.get $outIm) (i32.const 1))
    (call $gaussPass (local.get $sd) (i32.add (local.get $sd) (i32.shl (local.get $n) (i32.const 3)))
      (local.get $P) (local.get $C) (local.get $outRe) (local.get $outIm) (i32.const 2)))

  ;; sumdiff(re, im, sum, diff, n): sum = re + im and diff = re - im for n doubles (n even), one rounding each.
  (func $sumdiff (param $re i32) (param $im i32) (param $sum i32) (param $diff i32) (param $n i32)
    (local $j i32) (local $end i32) (local $x v128) (local $y v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $end)))
      (local.set $x (v128.load (i32.add (local.get $re) (local.get $j))))
      (local.set $y (v128.load (i32.add (local.get $im) (local.get $j))))
      (v128.store (i32.add (local.get $sum) (local.get $j)) (f64x2.add (local.get $x) (local.get $y)))
      (v128.store (i32.add (local.get $diff) (local.get $j)) (f64x2.sub (local.get $x) (local.get $y)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $next))))

  ;; gaussPass(L, R, P, C, outRe, outIm, mode): T_ab = L_a . R_b for the blocks of rows (a, a + 1) x (b, b + 1), b <= a
  ;; (L, R row-major P x C), stored by gaussStore's mode. Rows (a, a + 1) against four rows b .. b + 3 (eight
  ;; accumulators, six loaded operands per column pair) where b + 2 <= a, else (the diagonal block) against two. Rows b
  ;; go in bands of 64, which stay in L2 while every row pair a >= b reads them.
  (func $gaussPass
    (param $L i32) (param $R i32) (param $P i32) (param $C i32) (param $outRe i32) (param $outIm i32) (param $mode i32)
    (local $a i32) (local $b i32) (local $b0 i32) (local $bEnd i32) (local $cc i32) (local $rowBytes i32)
    (local $pa0 i32) (local $pa1 i32) (local $pb i32) (local $x0 v128) (local $x1 v128) (local $y v128)
    (local $g00 v128) (local $g01 v128) (local $g02 v128) (local $g03 v128)
    (local $g10 v128) (local $g11 v128) (local $g12 v128) (local $g13 v128)
    (local.set $rowBytes (i32.shl (local.get $C) (i32.const 3)))
    (block $bands_done (loop $bands
      (br_if $bands_done (i32.ge_u (local.get $b0) (local.get $P)))
      (local.set $a (local.get $b0))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $a) (local.get $P)))
        (local.set $pa0 (i32.add (local.get $L) (i32.mul (local.get $a) (local.get $rowBytes))))
        (local.set $pa1 (i32.add (local.get $pa0) (local.get $rowBytes)))
        (local.set $bEnd (select (i32.add (local.get $b0) (i32.const 64)) (i32.add (local.get $a) (i32.const 1))
          (i32.lt_u (i32.add (local.get $b0) (i32.const 64)) (i32.add (local.get $a) (i32.const 1)))))
        (local.set $b (local.get $b0))
        (block $cols_done (loop $cols
          (br_if $cols_done (i32.ge_u (local.get $b) (local.get $bEnd)))
          (local.set $pb (i32.add (local.get $R) (i32.mul (local.get $b) (local.get $rowBytes))))
          (local.set $g00 (f64x2.splat (f64.const 0))) (local.set $g01 (f64x2.splat (f64.const 0)))
          (local.set $g02 (f64x2.splat (f64.const 0))) (local.set $g03 (f64x2.splat (f64.const 0)))
          (local.set $g10 (f64x2.splat (f64.const 0))) (local.set $g11 (f64x2.splat (f64.const 0)))
          (local.set $g12 (f64x2.splat (f64.const 0))) (local.set $g13 (f64x2.splat (f64.const 0)))
          (local.set $cc (i32.const 0))
          (if (i32.le_u (i32.add (local.get $b) (i32.const 2)) (local.get $a))
            (then
              (block $dot_done (loop $dot
                (br_if $dot_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
                (local.set $x0 (v128.load (i32.add (local.get $pa0) (local.get $cc))))
                (local.set $x1 (v128.load (i32.add (local.get $pa1) (local.get $cc))))
                (local.set $y (v128.load (i32.add (local.get $pb) (local.get $cc))))
                (local.set $g00 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $g00)))
                (local.set $g10 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $g10)))
                (local.set $y (v128.load (i32.add (i32.add (local.get $pb) (local.get $rowBytes)) (local.get $cc))))
                (local.set $g01 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $g01)))
                (local.set $g11 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $g11)))
                (local.set $y (v128.load (i32.add (i32.add (local.get $pb) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $cc))))
                (local.set $g02 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $g02)))
                (local.set $g12 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $g12)))
                (local.set $y (v128.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $rowBytes) (i32.const 3))) (local.get $cc))))
                (local.set $g03 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $g03)))
                (local.set $g13 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $g13)))
                (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
                (br $dot)))
              (call $gaussStore (local.get $outRe) (local.get $outIm) (local.get $P) (local.get $a) (i32.add (local.get $b) (i32.const 2))
                (call $pairSum (local.get $g02) (local.get $g03)) (call $pairSum (local.get $g12) (local.get $g13)) (local.get $mode)))
            (else
              (block $dot_done (loop $dot
                (br_if $dot_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
                (local.set $x0 (v128.load (i32.add (local.get $pa0) (local.get $cc))))
                (local.set $x1 (v128.load (i32.add (local.get $pa1) (local.get $cc))))
                (local.set $y (v128.load (i32.add (local.get $pb) (local.get $cc))))
                (local.set $g00 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $g00)))
                (local.set $g10 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $g10)))
                (local.set $y (v128.load (i32.add (i32.add (local.get $pb) (local.get $rowBytes)) (local.get $cc))))
                (local.set $g01 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $g01)))
                (local.set $g11 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $g11)))
                (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
                (br $dot)))))
          (call $gaussStore (local.get $outRe) (local.get $outIm) (local.get $P) (local.get $a) (local.get $b)
            (call $pairSum (local.get $g00) (local.get $g01)) (call $pairSum (local.get $g10) (local.get $g11)) (local.get $mode))
          (local.set $b (i32.add (local.get $b) (i32.const 4)))
          (br $cols)))
        (local.set $a (i32.add (local.get $a) (i32.const 2)))
        (br $rows)))
      (local.set $b0 (i32.add (local.get $b0) (i32.const 64)))
      (br $bands))))

  ;; The products t0 = (T[a][b], T[a][b + 1]) and t1 = (T[a + 1][b], T[a + 1][b + 1]) of one 2 x 2 block (b <= a), by
  ;; gauss's pass: mode 0 (T1) Re Z = T1; mode 1 (T2) Re Z = T1 + T2 and, where Im Z goes, T1 - T2; mode 2 (T3)
  ;; Im Z = T3 - (T1 - T2). Re Z and Im Z with their mirrors.
  (func $gaussStore (param $outRe i32) (param $outIm i32) (param $P i32) (param $a i32) (param $b i32)
    (param $t0 v128) (param $t1 v128) (param $mode i32)
    (local $o i32) (local $next i32) (local $u0 v128) (local $u1 v128)
    (local.set $o (i32.shl (i32.add (i32.mul (local.get $a) (local.get $P)) (local.get $b)) (i32.const 3)))
    (local.set $next (i32.add (local.get $o) (i32.shl (local.get $P) (i32.const 3))))
    (if (i32.eqz (local.get $mode))
      (then (call $block2 (local.get $outRe) (local.get $P) (local.get $a) (local.get $b) (local.get $t0) (local.get $t1) (f64.const 1)))
      (else (if (i32.eq (local.get $mode) (i32.const 1))
        (then
          (local.set $u0 (v128.load (i32.add (local.get $outRe) (local.get $o))))
          (local.set $u1 (v128.load (i32.add (local.get $outRe) (local.get $next))))
          (call $block2 (local.get $outRe) (local.get $P) (local.get $a) (local.get $b)
            (f64x2.add (local.get $u0) (local.get $t0)) (f64x2.add (local.get $u1) (local.get $t1)) (f64.const 1))
          (v128.store (i32.add (local.get $outIm) (local.get $o)) (f64x2.sub (local.get $u0) (local.get $t0)))
          (v128.store (i32.add (local.get $outIm) (local.get $next)) (f64x2.sub (local.get $u1) (local.get $t1))))
        (else
          (call $block2 (local.get $outIm) (local.get $P) (local.get $a) (local.get $b)
            (f64x2.sub (local.get $t0) (v128.load (i32.add (local.get $outIm) (local.get $o))))
            (f64x2.sub (local.get $t1) (v128.load (i32.add (local.get $outIm) (local.get $next))))
            (f64.const -1)))))))

  ;; Z[a][b, b+1] = r0 and Z[a+1][b, b+1] = r1 (one part of a 2 x 2 block), and for b < a the mirror
  ;; Z[b + j][a, a+1] = sign Z[a, a+1][b + j] (sign 1 for the real part, -1 for the imaginary part: exact)
  (func $block2 (param $out i32) (param $P i32) (param $a i32) (param $b i32) (param $r0 v128) (param $r1 v128)
    (param $sign f64)
    (local $o i32) (local $s v128)
    (local.set $o (i32.add (local.get $out)
      (i32.shl (i32.add (i32.mul (local.get $a) (local.get $P)) (local.get $b)) (i32.const 3))))
    (v128.store (local.get $o) (local.get $r0))
    (v128.store (i32.add (local.get $o) (i32.shl (local.get $P) (i32.const 3))) (local.get $r1))
    (if (i32.lt_u (local.get $b) (local.get $a))
      (then
        (local.set $s (f64x2.splat (local.get $sign)))
        (local.set $o (i32.add (local.get $out)
          (i32.shl (i32.add (i32.mul (local.get $b) (local.get $P)) (local.get $a)) (i32.const 3))))
        (v128.store (local.get $o) (f64x2.mul (local.get $s)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r0) (local.get $r1))))
        (v128.store (i32.add (local.get $o) (i32.shl (local.get $P) (i32.const 3))) (f64x2.mul (local.get $s)
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $r0) (local.get $r1)))))))

  ;; (u0 + u1, v0 + v1)
  (func $pairSum (param $u v128) (param $v v128) (result v128)
    (f64x2.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u) (local.get $v))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u) (local.get $v))))
)
