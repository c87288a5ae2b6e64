;; The float64 2-D DFT of a convolution kernel (Sedghi, Gupta & Long, ICLR 2019, Theorem 6): the per-frequency
;; matrices K(u,v) = sum_{k,l} W[k,l] e^{-2 pi i (u k / n_h + v l / n_w)} of bounds/numerics/fft2.ts, in its two
;; separable stages, on f64x2 lanes. Bound by bounds/numerics/fft2-heap.ts.
;;
;; Why: V8 runs fft2.ts's float64 loops as scalar code; the matrices of a ResNet-18 layer (100+ MB) took 90-150 ms
;; per layer there, for Gram iteration (whose float32 squares read them from the same memory, gram-simd.ts) and the
;; exact norm. Both stages keep the JavaScript loop's operations and their order (each sum starts at 0 and adds its
;; terms in the same order), so the unfused variant gives the same bits, and the fused one (relaxed SIMD) rounds
;; each product-and-add once instead of twice: the DFT's error allowance (gram-iteration.ts dftErrorBound, which
;; counts one rounding per product and per add) covers both.
;;
;; Layout: byte offsets into the imported memory, channel pairs j in f64x2 lanes (n even); all pointers in bytes.
;;
;; Variant (kernels/index.ts): relaxed_madd is lowered to mul + add where relaxed SIMD is off; the memory is imported
;; shared where it is a shared WebAssembly.Memory (the gram kernel's, gram-simd.ts).
(module
  (import "env" "memory" (memory 0))

  ;; Stage 1 for one row k and one column v of a block: T[k][v][j] = sum_{l < w} W[k,l][j] e^{-2 pi i v l / n_w},
  ;; for n bytes of channel pairs j: x points at W[k,0][j0], tap l is xStep bytes further per l; tw holds the w
  ;; twiddles (cos, then sin: tw + 8 w); the sums go to tre, tim. Two lanes of pairs per pass (four independent
  ;; sums), then an odd last lane.
  (func (export "taps")
    (param $x i32) (param $xStep i32) (param $tw i32) (param $w i32) (param $tre i32) (param $tim i32) (param $n i32)
    (local $j i32) (local $l i32) (local $xp i32) (local $twSin i32) (local $pairs i32)
    (local $c v128) (local $s v128) (local $x0 v128) (local $x1 v128)
    (local $re0 v128) (local $im0 v128) (local $re1 v128) (local $im1 v128)
    (local.set $twSin (i32.add (local.get $tw) (i32.shl (local.get $w) (i32.const 3))))
    (local.set $pairs (i32.and (local.get $n) (i32.const -32)))
    (block $pairs_done (loop $pair
      (br_if $pairs_done (i32.ge_u (local.get $j) (local.get $pairs)))
      (local.set $re0 (f64x2.splat (f64.const 0))) (local.set $im0 (f64x2.splat (f64.const 0)))
      (local.set $re1 (f64x2.splat (f64.const 0))) (local.set $im1 (f64x2.splat (f64.const 0)))
      (local.set $xp (i32.add (local.get $x) (local.get $j)))
      (local.set $l (i32.const 0))
      (block $taps_done (loop $tap
        (br_if $taps_done (i32.ge_u (local.get $l) (local.get $w)))
        (local.set $c (f64x2.splat (f64.load (i32.add (local.get $tw) (i32.shl (local.get $l) (i32.const 3))))))
        (local.set $s (f64x2.splat (f64.load (i32.add (local.get $twSin) (i32.shl (local.get $l) (i32.const 3))))))
        (local.set $x0 (v128.load (local.get $xp)))
        (local.set $x1 (v128.load offset=16 (local.get $xp)))
        (local.set $re0 (f64x2.relaxed_madd (local.get $c) (local.get $x0) (local.get $re0)))
        (local.set $im0 (f64x2.relaxed_madd (local.get $s) (local.get $x0) (local.get $im0)))
        (local.set $re1 (f64x2.relaxed_madd (local.get $c) (local.get $x1) (local.get $re1)))
        (local.set $im1 (f64x2.relaxed_madd (local.get $s) (local.get $x1) (local.get $im1)))
        (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $tap)))
      (v128.store (i32.add (local.get $tre) (local.get $j)) (local.get $re0))
      (v128.store offset=16 (i32.add (local.get $tre) (local.get $j)) (local.get $re1))
      (v128.store (i32.add (local.get $tim) (local.get $j)) (local.get $im0))
      (v128.store offset=16 (i32.add (local.get $tim) (local.get $j)) (local.get $im1))
      (local.set $j (i32.add (local.get $j) (i32.const 32)))
      (br $pair)))
    ;; the odd last lane of two pairs
    (if (i32.lt_u (local.get $j) (local.get $n)) (then
      (local.set $re0 (f64x2.splat (f64.const 0))) (local.set $im0 (f64x2.splat (f64.const 0)))
      (local.set $xp (i32.add (local.get $x) (local.get $j)))
      (local.set $l (i32.const 0))
      (block $taps_done (loop $tap
        (br_if $taps_done (i32.ge_u (local.get $l) (local.get $w)))
        (local.set $x0 (v128.load (local.get $xp)))
        (local.set $re0 (f64x2.relaxed_madd
          (f64x2.splat (f64.load (i32.add (local.get $tw) (i32.shl (local.get $l) (i32.const 3)))))
          (local.get $x0) (local.get $re0)))
        (local.set $im0 (f64x2.relaxed_madd
          (f64x2.splat (f64.load (i32.add (local.get $twSin) (i32.shl (local.get $l) (i32.const 3)))))
          (local.get $x0) (local.get $im0)))
        (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $tap)))
      (v128.store (i32.add (local.get $tre) (local.get $j)) (local.get $re0))
      (v128.store (i32.add (local.get $tim) (local.get $j)) (local.get $im0))))
  )

  ;; Stage 2 for one frequency (u, v) and a block (fft2.ts, the same names): for n bytes of channel pairs,
  ;;   P = sum_k a cs_k, Q = sum_k b sn_k, R = sum_k b cs_k, S = sum_k a sn_k
  ;; with (a, b) = T at tRe / tIm + k tStep; then K(u,v) = (P + Q, R - S) and, when gRe >= 0, its mirror
  ;; K(-u,v) = (P - Q, R + S). cs, sn: the h twiddles of u as float64. The squares of the stored values are added
  ;; to the float64 at sqF (and, for the mirror, at sqG): ||M||_F^2 summed over the blocks, in another order than
  ;; a pass over M would take, which a bound on a sum of squares in any order covers (rounding.ts sumUpper), without
  ;; reading the 100+ MB again (gram-simd.ts frequencySumSquares).
  (func (export "combine")
    (param $tRe i32) (param $tIm i32) (param $tStep i32) (param $cs i32) (param $sn i32) (param $h i32)
    (param $outRe i32) (param $outIm i32) (param $gRe i32) (param $gIm i32) (param $n i32)
    (param $sqF i32) (param $sqG i32)
    (local $jj i32) (local $k i32) (local $tp i32)
    (local $p v128) (local $q v128) (local $r v128) (local $s v128)
    (local $a v128) (local $b v128) (local $c v128) (local $sk v128)
    (local $x v128) (local $y v128) (local $accF v128) (local $accG v128)
    (block $lanes_done (loop $lanes
      (br_if $lanes_done (i32.ge_u (local.get $jj) (local.get $n)))
      (local.set $p (f64x2.splat (f64.const 0))) (local.set $q (f64x2.splat (f64.const 0)))
      (local.set $r (f64x2.splat (f64.const 0))) (local.set $s (f64x2.splat (f64.const 0)))
      (local.set $tp (local.get $jj))
      (local.set $k (i32.const 0))
      (block $taps_done (loop $taps
        (br_if $taps_done (i32.ge_u (local.get $k) (local.get $h)))
        (local.set $a (v128.load (i32.add (local.get $tRe) (local.get $tp))))
        (local.set $b (v128.load (i32.add (local.get $tIm) (local.get $tp))))
        (local.set $c (f64x2.splat (f64.load (i32.add (local.get $cs) (i32.shl (local.get $k) (i32.const 3))))))
        (local.set $sk (f64x2.splat (f64.load (i32.add (local.get $sn) (i32.shl (local.get $k) (i32.const 3))))))
        (local.set $p (f64x2.relaxed_madd (local.get $a) (local.get $c) (local.get $p)))
        (local.set $q (f64x2.relaxed_madd (local.get $b) (local.get $sk) (local.get $q)))
        (local.set $r (f64x2.relaxed_madd (local.get $b) (local.get $c) (local.get $r)))
        (local.set $s (f64x2.relaxed_madd (local.get $a) (local.get $sk) (local.get $s)))
        (local.set $tp (i32.add (local.get $tp) (local.get $tStep)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $taps)))
      (local.set $x (f64x2.add (local.get $p) (local.get $q)))
      (local.set $y (f64x2.sub (local.get $r) (local.get $s)))
      (v128.store (i32.add (local.get $outRe) (local.get $jj)) (local.get $x))
      (v128.store (i32.add (local.get $outIm) (local.get $jj)) (local.get $y))
      (local.set $accF (f64x2.relaxed_madd (local.get $x) (local.get $x) (local.get $accF)))
      (local.set $accF (f64x2.relaxed_madd (local.get $y) (local.get $y) (local.get $accF)))
      (if (i32.ge_s (local.get $gRe) (i32.const 0)) (then
        (local.set $x (f64x2.sub (local.get $p) (local.get $q)))
        (local.set $y (f64x2.add (local.get $r) (local.get $s)))
        (v128.store (i32.add (local.get $gRe) (local.get $jj)) (local.get $x))
        (v128.store (i32.add (local.get $gIm) (local.get $jj)) (local.get $y))
        (local.set $accG (f64x2.relaxed_madd (local.get $x) (local.get $x) (local.get $accG)))
        (local.set $accG (f64x2.relaxed_madd (local.get $y) (local.get $y) (local.get $accG)))))
      (local.set $jj (i32.add (local.get $jj) (i32.const 16)))
      (br $lanes)))
    (call $addLanes (local.get $sqF) (local.get $accF))
    (if (i32.ge_s (local.get $gRe) (i32.const 0)) (then (call $addLanes (local.get $sqG) (local.get $accG))))
  )

  ;; *at += lane 0 + lane 1 of v (once per call: a wasm call here costs nothing).
  (func $addLanes (param $at i32) (param $v v128)
    (f64.store (local.get $at)
      (f64.add
        (f64.add (f64.load (local.get $at)) (f64x2.extract_lane 0 (local.get $v)))
        (f64x2.extract_lane 1 (local.get $v)))))
)
