;; The DFT stages of the Toeplitz bound (Delattre, Barthélemy & Allauzen 2024): every self-correlation goes to the
;; frequency domain and back (engine/bounds/methods/toeplitz-heap.ts), and each stage along one axis is a small
;; complex matrix (twiddles, F x K) times K long rows of channel pairs: out[f][j] = sum_k tw[f][k] in[k][j] for every
;; lane j of the P x P channel block. Bound by toeplitz-heap.ts; the rounding analysis that keeps the bound
;; guaranteed is in toeplitz-enclosure.ts.
;;
;; Why: V8's scalar float64 loop did these at ~1 GMAC/s and they were most of the Toeplitz time. Four outputs f at a
;; time share each loaded input lane pair, in float64 (f64x2). The per-frequency Grams in between are herk below; the
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

  ;; cmix: complex input, complex output.
  (func $cmix (export "cmix")
    (param $inRe i32) (param $inIm i32) (param $inStride i32) (param $K i32)
    (param $twRe i32) (param $twIm i32) (param $F i32)
    (param $outRe i32) (param $outIm i32) (param $outStride i32) (param $j0 i32) (param $j1 i32)
    (local $f i32) (local $j i32) (local $jb i32) (local $je i32) (local $k i32) (local $p i32) (local $twOff i32)
    (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local $xr v128) (local $xi v128) (local $c v128) (local $s v128)
    (local $r0 v128) (local $i0 v128) (local $r1 v128) (local $i1 v128)
    (local $r2 v128) (local $i2 v128) (local $r3 v128) (local $i3 v128)
    (local.set $twOff (i32.sub (local.get $twIm) (local.get $twRe)))
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
      (local.set $j (local.get $jb))
      (block $jdone (loop $jnext
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $je)))
        (local.set $r0 (f64x2.splat (f64.const 0))) (local.set $i0 (f64x2.splat (f64.const 0)))
        (local.set $r1 (f64x2.splat (f64.const 0))) (local.set $i1 (f64x2.splat (f64.const 0)))
        (local.set $r2 (f64x2.splat (f64.const 0))) (local.set $i2 (f64x2.splat (f64.const 0)))
        (local.set $r3 (f64x2.splat (f64.const 0))) (local.set $i3 (f64x2.splat (f64.const 0)))
        (local.set $k (i32.const 0))
        (local.set $p (local.get $j))
        (block $kdone (loop $knext
          (br_if $kdone (i32.ge_u (local.get $k) (local.get $K)))
          (local.set $xr (v128.load (i32.add (local.get $inRe) (local.get $p))))
          (local.set $xi (v128.load (i32.add (local.get $inIm) (local.get $p))))
          ;; (c + i s)(xr + i xi) = (c xr - s xi) + i (c xi + s xr), for each of the four rows
          (local.set $c (v128.load64_splat (i32.add (local.get $t0) (i32.shl (local.get $k) (i32.const 3)))))
          (local.set $s (v128.load64_splat (i32.add (i32.add (local.get $t0) (local.get $twOff)) (i32.shl (local.get $k) (i32.const 3)))))
          (local.set $r0 (f64x2.relaxed_nmadd (local.get $s) (local.get $xi) (f64x2.relaxed_madd (local.get $c) (local.get $xr) (local.get $r0))))
          (local.set $i0 (f64x2.relaxed_madd (local.get $s) (local.get $xr) (f64x2.relaxed_madd (local.get $c) (local.get $xi) (local.get $i0))))
          (local.set $c (v128.load64_splat (i32.add (local.get $t1) (i32.shl (local.get $k) (i32.const 3)))))
          (local.set $s (v128.load64_splat (i32.add (i32.add (local.get $t1) (local.get $twOff)) (i32.shl (local.get $k) (i32.const 3)))))
          (local.set $r1 (f64x2.relaxed_nmadd (local.get $s) (local.get $xi) (f64x2.relaxed_madd (local.get $c) (local.get $xr) (local.get $r1))))
          (local.set $i1 (f64x2.relaxed_madd (local.get $s) (local.get $xr) (f64x2.relaxed_madd (local.get $c) (local.get $xi) (local.get $i1))))
          (local.set $c (v128.load64_splat (i32.add (local.get $t2) (i32.shl (local.get $k) (i32.const 3)))))
          (local.set $s (v128.load64_splat (i32.add (i32.add (local.get $t2) (local.get $twOff)) (i32.shl (local.get $k) (i32.const 3)))))
          (local.set $r2 (f64x2.relaxed_nmadd (local.get $s) (local.get $xi) (f64x2.relaxed_madd (local.get $c) (local.get $xr) (local.get $r2))))
          (local.set $i2 (f64x2.relaxed_madd (local.get $s) (local.get $xr) (f64x2.relaxed_madd (local.get $c) (local.get $xi) (local.get $i2))))
          (local.set $c (v128.load64_splat (i32.add (local.get $t3) (i32.shl (local.get $k) (i32.const 3)))))
          (local.set $s (v128.load64_splat (i32.add (i32.add (local.get $t3) (local.get $twOff)) (i32.shl (local.get $k) (i32.const 3)))))
          (local.set $r3 (f64x2.relaxed_nmadd (local.get $s) (local.get $xi) (f64x2.relaxed_madd (local.get $c) (local.get $xr) (local.get $r3))))
          (local.set $i3 (f64x2.relaxed_madd (local.get $s) (local.get $xr) (f64x2.relaxed_madd (local.get $c) (local.get $xi) (local.get $i3))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (local.set $p (i32.add (local.get $p) (local.get $inStride)))
          (br $knext)))
        (v128.store (i32.add (call $row (local.get $outRe) (local.get $f) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $r0))
        (v128.store (i32.add (call $row (local.get $outIm) (local.get $f) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $i0))
        (v128.store (i32.add (call $row (local.get $outRe) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $r1))
        (v128.store (i32.add (call $row (local.get $outIm) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $i1))
        (v128.store (i32.add (call $row (local.get $outRe) (i32.add (local.get $f) (i32.const 2)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $r2))
        (v128.store (i32.add (call $row (local.get $outIm) (i32.add (local.get $f) (i32.const 2)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $i2))
        (v128.store (i32.add (call $row (local.get $outRe) (i32.add (local.get $f) (i32.const 3)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $r3))
        (v128.store (i32.add (call $row (local.get $outIm) (i32.add (local.get $f) (i32.const 3)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $i3))
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
    (local $x v128)
    (local $r0 v128) (local $i0 v128) (local $r1 v128) (local $i1 v128)
    (local $r2 v128) (local $i2 v128) (local $r3 v128) (local $i3 v128)
    (local.set $twOff (i32.sub (local.get $twIm) (local.get $twRe)))
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
        (v128.store (i32.add (call $row (local.get $outRe) (local.get $f) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $r0))
        (v128.store (i32.add (call $row (local.get $outIm) (local.get $f) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $i0))
        (v128.store (i32.add (call $row (local.get $outRe) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $r1))
        (v128.store (i32.add (call $row (local.get $outIm) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $i1))
        (v128.store (i32.add (call $row (local.get $outRe) (i32.add (local.get $f) (i32.const 2)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $r2))
        (v128.store (i32.add (call $row (local.get $outIm) (i32.add (local.get $f) (i32.const 2)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $i2))
        (v128.store (i32.add (call $row (local.get $outRe) (i32.add (local.get $f) (i32.const 3)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $r3))
        (v128.store (i32.add (call $row (local.get $outIm) (i32.add (local.get $f) (i32.const 3)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $i3))
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
        (v128.store (i32.add (call $row (local.get $out) (local.get $f) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $r0))
        (v128.store (i32.add (call $row (local.get $out) (i32.add (local.get $f) (i32.const 1)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $r1))
        (v128.store (i32.add (call $row (local.get $out) (i32.add (local.get $f) (i32.const 2)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $r2))
        (v128.store (i32.add (call $row (local.get $out) (i32.add (local.get $f) (i32.const 3)) (local.get $F) (local.get $outStride)) (local.get $j)) (local.get $r3))
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

  ;; herk(re, im, P, C, outRe, outIm, a0, a1): rows [a0, a1) (even bounds) of Z = A A^H (P x P, both triangles) for
  ;; the complex P x C matrix A (real part at re, imaginary part at im, row-major; P and C even), in 2 x 2 blocks of
  ;; rows (a, a + 1) x (b, b + 1), b <= a, each block also writing its conjugate-transposed mirror. Rounding: per lane
  ;; a chain of C multiply-adds (two per column), then one lane sum: gamma_{C+1} sum_c |A_ac| |A_bc| per part.
  ;; (gram.wat's gram64 is the same product; here the block's four results go out as pairs of lanes, without
  ;; per-entry calls, which costs ~15-30% of the product at P = 64..128.)
  (func $herk (export "herk")
    (param $re i32) (param $im i32) (param $P i32) (param $C i32) (param $outRe i32) (param $outIm i32)
    (param $a0 i32) (param $a1 i32)
    (local $a i32) (local $b i32) (local $cc i32) (local $rowBytes i32) (local $imOff i32) (local $outOff i32)
    (local $pa0 i32) (local $pa1 i32) (local $pb0 i32) (local $pb1 i32) (local $o i32)
    (local $xr0 v128) (local $xi0 v128) (local $xr1 v128) (local $xi1 v128) (local $y v128)
    (local $r00 v128) (local $i00 v128) (local $r01 v128) (local $i01 v128)
    (local $r10 v128) (local $i10 v128) (local $r11 v128) (local $i11 v128)
    (local.set $rowBytes (i32.shl (local.get $C) (i32.const 3)))
    (local.set $imOff (i32.sub (local.get $im) (local.get $re)))
    (local.set $outOff (i32.sub (local.get $outIm) (local.get $outRe)))
    (local.set $a (local.get $a0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $a) (local.get $a1)))
      (local.set $pa0 (i32.add (local.get $re) (i32.mul (local.get $a) (local.get $rowBytes))))
      (local.set $pa1 (i32.add (local.get $pa0) (local.get $rowBytes)))
      (local.set $b (i32.const 0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.gt_u (local.get $b) (local.get $a)))
        (local.set $pb0 (i32.add (local.get $re) (i32.mul (local.get $b) (local.get $rowBytes))))
        (local.set $pb1 (i32.add (local.get $pb0) (local.get $rowBytes)))
        (local.set $r00 (f64x2.splat (f64.const 0))) (local.set $i00 (f64x2.splat (f64.const 0)))
        (local.set $r01 (f64x2.splat (f64.const 0))) (local.set $i01 (f64x2.splat (f64.const 0)))
        (local.set $r10 (f64x2.splat (f64.const 0))) (local.set $i10 (f64x2.splat (f64.const 0)))
        (local.set $r11 (f64x2.splat (f64.const 0))) (local.set $i11 (f64x2.splat (f64.const 0)))
        (local.set $cc (i32.const 0))
        (block $dot_done (loop $dot
          (br_if $dot_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
          ;; x conj(y) = (xr yr + xi yi) + i (xi yr - xr yi)
          (local.set $xr0 (v128.load (i32.add (local.get $pa0) (local.get $cc))))
          (local.set $xi0 (v128.load (i32.add (i32.add (local.get $pa0) (local.get $imOff)) (local.get $cc))))
          (local.set $xr1 (v128.load (i32.add (local.get $pa1) (local.get $cc))))
          (local.set $xi1 (v128.load (i32.add (i32.add (local.get $pa1) (local.get $imOff)) (local.get $cc))))
          (local.set $y (v128.load (i32.add (local.get $pb0) (local.get $cc))))
          (local.set $r00 (f64x2.relaxed_madd (local.get $xr0) (local.get $y) (local.get $r00)))
          (local.set $i00 (f64x2.relaxed_madd (local.get $xi0) (local.get $y) (local.get $i00)))
          (local.set $r10 (f64x2.relaxed_madd (local.get $xr1) (local.get $y) (local.get $r10)))
          (local.set $i10 (f64x2.relaxed_madd (local.get $xi1) (local.get $y) (local.get $i10)))
          (local.set $y (v128.load (i32.add (i32.add (local.get $pb0) (local.get $imOff)) (local.get $cc))))
          (local.set $r00 (f64x2.relaxed_madd (local.get $xi0) (local.get $y) (local.get $r00)))
          (local.set $i00 (f64x2.relaxed_nmadd (local.get $xr0) (local.get $y) (local.get $i00)))
          (local.set $r10 (f64x2.relaxed_madd (local.get $xi1) (local.get $y) (local.get $r10)))
          (local.set $i10 (f64x2.relaxed_nmadd (local.get $xr1) (local.get $y) (local.get $i10)))
          (local.set $y (v128.load (i32.add (local.get $pb1) (local.get $cc))))
          (local.set $r01 (f64x2.relaxed_madd (local.get $xr0) (local.get $y) (local.get $r01)))
          (local.set $i01 (f64x2.relaxed_madd (local.get $xi0) (local.get $y) (local.get $i01)))
          (local.set $r11 (f64x2.relaxed_madd (local.get $xr1) (local.get $y) (local.get $r11)))
          (local.set $i11 (f64x2.relaxed_madd (local.get $xi1) (local.get $y) (local.get $i11)))
          (local.set $y (v128.load (i32.add (i32.add (local.get $pb1) (local.get $imOff)) (local.get $cc))))
          (local.set $r01 (f64x2.relaxed_madd (local.get $xi0) (local.get $y) (local.get $r01)))
          (local.set $i01 (f64x2.relaxed_nmadd (local.get $xr0) (local.get $y) (local.get $i01)))
          (local.set $r11 (f64x2.relaxed_madd (local.get $xi1) (local.get $y) (local.get $r11)))
          (local.set $i11 (f64x2.relaxed_nmadd (local.get $xr1) (local.get $y) (local.get $i11)))
          (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
          (br $dot)))
        ;; lane sums as pairs: (s_j0, s_j1) = (lane 0 + lane 1) of (s_j0, s_j1), one pair per row and part
        (local.set $r00 (call $pairSum (local.get $r00) (local.get $r01)))
        (local.set $i00 (call $pairSum (local.get $i00) (local.get $i01)))
        (local.set $r10 (call $pairSum (local.get $r10) (local.get $r11)))
        (local.set $i10 (call $pairSum (local.get $i10) (local.get $i11)))
        ;; Z[a][b, b+1] and Z[a+1][b, b+1]
        (local.set $o (i32.add (local.get $outRe)
          (i32.shl (i32.add (i32.mul (local.get $a) (local.get $P)) (local.get $b)) (i32.const 3))))
        (v128.store (local.get $o) (local.get $r00))
        (v128.store (i32.add (local.get $o) (local.get $outOff)) (local.get $i00))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $P) (i32.const 3))))
        (v128.store (local.get $o) (local.get $r10))
        (v128.store (i32.add (local.get $o) (local.get $outOff)) (local.get $i10))
        ;; the mirror Z[b + j][a, a+1] = conj(Z[a, a+1][b + j]) of an off-diagonal block
        (if (i32.lt_u (local.get $b) (local.get $a))
          (then
            (local.set $o (i32.add (local.get $outRe)
              (i32.shl (i32.add (i32.mul (local.get $b) (local.get $P)) (local.get $a)) (i32.const 3))))
            (v128.store (local.get $o)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r00) (local.get $r10)))
            (v128.store (i32.add (local.get $o) (local.get $outOff)) (f64x2.neg
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $i00) (local.get $i10))))
            (local.set $o (i32.add (local.get $o) (i32.shl (local.get $P) (i32.const 3))))
            (v128.store (local.get $o)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $r00) (local.get $r10)))
            (v128.store (i32.add (local.get $o) (local.get $outOff)) (f64x2.neg
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $i00) (local.get $i10))))))
        (local.set $b (i32.add (local.get $b) (i32.const 2)))
        (br $cols)))
      (local.set $a (i32.add (local.get $a) (i32.const 2)))
      (br $rows))))

  ;; (u0 + u1, v0 + v1)
  (func $pairSum (param $u v128) (param $v v128) (result v128)
    (f64x2.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u) (local.get $v))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u) (local.get $v))))
)
