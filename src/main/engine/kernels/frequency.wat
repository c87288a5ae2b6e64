;; Frequency-domain kernels of the exact (circular) spectral norm, Sedghi, Gupta & Long (ICLR 2019): the
;; norm is max over the n^2 frequencies (u, v) of ||M(u,v)||_2 for M(u,v) = sum_{k,l} W[k,l] e^{-2 pi i (u k + v l)/n},
;; a c_out x c_in complex matrix. Bound by engine/bounds/methods/frequency-simd.ts.
;;
;; Why: the screening race (frequency-screen.ts) runs ~10 Gram products w = M M^H q at every one of the n^2/2
;; frequencies; V8 compiles the JS loop to scalar float64 code (~0.6 GMAC/s), 4-wide float32 lanes do several times
;; more and read half the bytes. Float32 only screens frequencies: the survivors are confirmed in float64 (gram64).
;;
;; Layout (byte offsets into this module's memory): M's real part (R x C, row-major) at m and its imaginary part
;; R*C elements further; q = (qr[R], qi[R]); scratch y = (yr[C], yi[C]); the result w = (wr[R], wi[R]). C must be
;; a multiple of 4 (gram) or 2 (gram64).
;;
;; Variant (kernels/index.ts): relaxed_madd / relaxed_nmadd are lowered to mul + add / sub where relaxed SIMD is
;; off.
(module
  (memory (export "mem") 1)

  ;; gram(m, R, C, q, y, w): w = M M^H q on float32 data.
  (func $gram (export "gram")
    (param $m i32) (param $rows i32) (param $cols i32) (param $q i32) (param $y i32) (param $w i32)
    (local $r i32) (local $cc i32) (local $rowBytes i32) (local $imag i32)
    (local $pr0 i32) (local $pi0 i32) (local $pr1 i32) (local $pi1 i32) (local $evenRows i32) (local $yi i32)
    ;; q_r (re, im) splatted; rows r, r + 1 of M (re, im); scratch; y (re, im); the eight sums of two rows
    (local $qr v128) (local $qi v128) (local $xr0 v128) (local $xi0 v128) (local $xr1 v128) (local $xi1 v128)
    (local $s v128) (local $t v128) (local $vyr v128) (local $vyi v128)
    (local $rr0 v128) (local $ii0 v128) (local $ri0 v128) (local $ir0 v128)
    (local $rr1 v128) (local $ii1 v128) (local $ri1 v128) (local $ir1 v128)
    (local.set $rowBytes (i32.mul (local.get $cols) (i32.const 4)))
    (local.set $imag (i32.mul (local.get $rowBytes) (local.get $rows)))
    (local.set $evenRows (i32.and (local.get $rows) (i32.const -2)))
    (local.set $yi (i32.add (local.get $y) (local.get $rowBytes)))
    ;; y = 0
    (local.set $cc (i32.const 0))
    (block $zero_done (loop $zero
      (br_if $zero_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
      (v128.store (i32.add (local.get $y) (local.get $cc)) (f32x4.splat (f32.const 0)))
      (v128.store (i32.add (i32.add (local.get $y) (local.get $rowBytes)) (local.get $cc)) (f32x4.splat (f32.const 0)))
      (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
      (br $zero)))
    ;; y = M^H q, one row r at a time: yr += Mr qr + Mi qi, yi += Mr qi - Mi qr (two rows per sweep, though they
    ;; load y once, measured slower here)
    (local.set $r (i32.const 0))
    (block $conj_done (loop $conj
      (br_if $conj_done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $qr (f32x4.splat (f32.load (i32.add (local.get $q) (i32.mul (local.get $r) (i32.const 4))))))
      (local.set $qi
        (f32x4.splat
          (f32.load (i32.add (local.get $q) (i32.mul (i32.add (local.get $r) (local.get $rows)) (i32.const 4))))))
      ;; rows r and r + 1 of M: real parts at pr, imaginary parts imag bytes further
      (local.set $pr0 (i32.add (local.get $m) (i32.mul (local.get $r) (local.get $rowBytes))))
      (local.set $pi0 (i32.add (local.get $pr0) (local.get $imag)))
      (local.set $pr1 (i32.add (local.get $pr0) (local.get $rowBytes)))
      (local.set $pi1 (i32.add (local.get $pi0) (local.get $rowBytes)))
      (local.set $cc (i32.const 0))
      (block $conj_cols_done (loop $conj_cols
        (br_if $conj_cols_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
        (local.set $xr0 (v128.load (i32.add (local.get $pr0) (local.get $cc))))
        (local.set $xi0 (v128.load (i32.add (local.get $pi0) (local.get $cc))))
        (v128.store (i32.add (local.get $y) (local.get $cc))
          (f32x4.relaxed_madd
            (local.get $xi0)
            (local.get $qi)
            (f32x4.relaxed_madd (local.get $xr0) (local.get $qr) (v128.load (i32.add (local.get $y) (local.get $cc))))))
        (v128.store (i32.add (local.get $yi) (local.get $cc))
          (f32x4.relaxed_nmadd
            (local.get $xi0)
            (local.get $qr)
            (f32x4.relaxed_madd
              (local.get $xr0)
              (local.get $qi)
              (v128.load (i32.add (local.get $yi) (local.get $cc))))))
        (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
        (br $conj_cols)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $conj)))
    ;; w = M y two rows r, r + 1 at a time (sharing the y loads; 8 independent sums, so no single chain of
    ;; dependent adds bounds the loop): wr = sum Mr yr - Mi yi, wi = sum Mr yi + Mi yr
    (local.set $r (i32.const 0))
    (block $pairs_done (loop $pairs
      (br_if $pairs_done (i32.ge_u (local.get $r) (local.get $evenRows)))
      ;; rows r and r + 1 of M: real parts at pr, imaginary parts imag bytes further
      (local.set $pr0 (i32.add (local.get $m) (i32.mul (local.get $r) (local.get $rowBytes))))
      (local.set $pi0 (i32.add (local.get $pr0) (local.get $imag)))
      (local.set $pr1 (i32.add (local.get $pr0) (local.get $rowBytes)))
      (local.set $pi1 (i32.add (local.get $pi0) (local.get $rowBytes)))
      (local.set $rr0 (f32x4.splat (f32.const 0))) (local.set $ii0 (f32x4.splat (f32.const 0)))
      (local.set $ri0 (f32x4.splat (f32.const 0))) (local.set $ir0 (f32x4.splat (f32.const 0)))
      (local.set $rr1 (f32x4.splat (f32.const 0))) (local.set $ii1 (f32x4.splat (f32.const 0)))
      (local.set $ri1 (f32x4.splat (f32.const 0))) (local.set $ir1 (f32x4.splat (f32.const 0)))
      (local.set $cc (i32.const 0))
      (block $pair_cols_done (loop $pair_cols
        (br_if $pair_cols_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
        (local.set $vyr (v128.load (i32.add (local.get $y) (local.get $cc))))
        (local.set $vyi (v128.load (i32.add (local.get $yi) (local.get $cc))))
        (local.set $xr0 (v128.load (i32.add (local.get $pr0) (local.get $cc))))
        (local.set $xi0 (v128.load (i32.add (local.get $pi0) (local.get $cc))))
        (local.set $rr0 (f32x4.relaxed_madd (local.get $xr0) (local.get $vyr) (local.get $rr0)))
        (local.set $ii0 (f32x4.relaxed_madd (local.get $xi0) (local.get $vyi) (local.get $ii0)))
        (local.set $ri0 (f32x4.relaxed_madd (local.get $xr0) (local.get $vyi) (local.get $ri0)))
        (local.set $ir0 (f32x4.relaxed_madd (local.get $xi0) (local.get $vyr) (local.get $ir0)))
        (local.set $xr1 (v128.load (i32.add (local.get $pr1) (local.get $cc))))
        (local.set $xi1 (v128.load (i32.add (local.get $pi1) (local.get $cc))))
        (local.set $rr1 (f32x4.relaxed_madd (local.get $xr1) (local.get $vyr) (local.get $rr1)))
        (local.set $ii1 (f32x4.relaxed_madd (local.get $xi1) (local.get $vyi) (local.get $ii1)))
        (local.set $ri1 (f32x4.relaxed_madd (local.get $xr1) (local.get $vyi) (local.get $ri1)))
        (local.set $ir1 (f32x4.relaxed_madd (local.get $xi1) (local.get $vyr) (local.get $ir1)))
        (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
        (br $pair_cols)))
      ;; w[r + 0] = (sum rr - ii, sum ri + ir)
      (local.set $s (f32x4.sub (local.get $rr0) (local.get $ii0)))
      (f32.store
        (i32.add (local.get $w) (i32.mul (i32.add (local.get $r) (i32.const 0)) (i32.const 4)))
        (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $s)) (f32x4.extract_lane 1 (local.get $s)))
            (f32x4.extract_lane 2 (local.get $s)))
          (f32x4.extract_lane 3 (local.get $s))))
      (local.set $t (f32x4.add (local.get $ri0) (local.get $ir0)))
      (f32.store
        (i32.add
          (local.get $w)
          (i32.mul (i32.add (i32.add (local.get $r) (local.get $rows)) (i32.const 0)) (i32.const 4)))
        (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $t)) (f32x4.extract_lane 1 (local.get $t)))
            (f32x4.extract_lane 2 (local.get $t)))
          (f32x4.extract_lane 3 (local.get $t))))
      ;; w[r + 1] = (sum rr - ii, sum ri + ir)
      (local.set $s (f32x4.sub (local.get $rr1) (local.get $ii1)))
      (f32.store
        (i32.add (local.get $w) (i32.mul (i32.add (local.get $r) (i32.const 1)) (i32.const 4)))
        (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $s)) (f32x4.extract_lane 1 (local.get $s)))
            (f32x4.extract_lane 2 (local.get $s)))
          (f32x4.extract_lane 3 (local.get $s))))
      (local.set $t (f32x4.add (local.get $ri1) (local.get $ir1)))
      (f32.store
        (i32.add
          (local.get $w)
          (i32.mul (i32.add (i32.add (local.get $r) (local.get $rows)) (i32.const 1)) (i32.const 4)))
        (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $t)) (f32x4.extract_lane 1 (local.get $t)))
            (f32x4.extract_lane 2 (local.get $t)))
          (f32x4.extract_lane 3 (local.get $t))))
      (local.set $r (i32.add (local.get $r) (i32.const 2)))
      (br $pairs)))
    ;; the odd last row (r = evenRows here)
    (if (i32.lt_u (local.get $r) (local.get $rows)) (then
      ;; rows r and r + 1 of M: real parts at pr, imaginary parts imag bytes further
      (local.set $pr0 (i32.add (local.get $m) (i32.mul (local.get $r) (local.get $rowBytes))))
      (local.set $pi0 (i32.add (local.get $pr0) (local.get $imag)))
      (local.set $pr1 (i32.add (local.get $pr0) (local.get $rowBytes)))
      (local.set $pi1 (i32.add (local.get $pi0) (local.get $rowBytes)))
      (local.set $rr0 (f32x4.splat (f32.const 0))) (local.set $ii0 (f32x4.splat (f32.const 0)))
      (local.set $ri0 (f32x4.splat (f32.const 0))) (local.set $ir0 (f32x4.splat (f32.const 0)))
      (local.set $cc (i32.const 0))
      (block $last_cols_done (loop $last_cols
        (br_if $last_cols_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
        (local.set $vyr (v128.load (i32.add (local.get $y) (local.get $cc))))
        (local.set $vyi (v128.load (i32.add (local.get $yi) (local.get $cc))))
        (local.set $xr0 (v128.load (i32.add (local.get $pr0) (local.get $cc))))
        (local.set $xi0 (v128.load (i32.add (local.get $pi0) (local.get $cc))))
        (local.set $rr0 (f32x4.relaxed_madd (local.get $xr0) (local.get $vyr) (local.get $rr0)))
        (local.set $ii0 (f32x4.relaxed_madd (local.get $xi0) (local.get $vyi) (local.get $ii0)))
        (local.set $ri0 (f32x4.relaxed_madd (local.get $xr0) (local.get $vyi) (local.get $ri0)))
        (local.set $ir0 (f32x4.relaxed_madd (local.get $xi0) (local.get $vyr) (local.get $ir0)))
        (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
        (br $last_cols)))
      ;; w[r + 0] = (sum rr - ii, sum ri + ir)
      (local.set $s (f32x4.sub (local.get $rr0) (local.get $ii0)))
      (f32.store
        (i32.add (local.get $w) (i32.mul (i32.add (local.get $r) (i32.const 0)) (i32.const 4)))
        (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $s)) (f32x4.extract_lane 1 (local.get $s)))
            (f32x4.extract_lane 2 (local.get $s)))
          (f32x4.extract_lane 3 (local.get $s))))
      (local.set $t (f32x4.add (local.get $ri0) (local.get $ir0)))
      (f32.store
        (i32.add
          (local.get $w)
          (i32.mul (i32.add (i32.add (local.get $r) (local.get $rows)) (i32.const 0)) (i32.const 4)))
        (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $t)) (f32x4.extract_lane 1 (local.get $t)))
            (f32x4.extract_lane 2 (local.get $t)))
          (f32x4.extract_lane 3 (local.get $t))))
    ))
  )

  ;; Stage 2 of the 2-D DFT (bounds/numerics/fft2.ts HeapDft, same names): for jj < jb in lanes of 4,
  ;;   P = sum_k a cs_k, Q = sum_k b sn_k, R = sum_k b cs_k, S = sum_k a sn_k
  ;; with (a, b) = T at tRe / tIm + k tStep + jj; then K(u,v) = (P + Q, R - S) and, when gRe >= 0, its mirror
  ;; K(-u,v) = (P - Q, R + S). All pointers in bytes.
  (func (export "combine")
    (param $tRe i32) (param $tIm i32) (param $tStep i32) (param $cs i32) (param $sn i32) (param $h i32)
    (param $outRe i32) (param $outIm i32) (param $gRe i32) (param $gIm i32) (param $jb i32)
    (local $jj i32) (local $k i32) (local $tp i32) (local $jbBytes i32)
    (local $p v128) (local $q v128) (local $r v128) (local $s v128)
    (local $a v128) (local $b v128) (local $c v128) (local $sk v128)
    (local.set $jbBytes (i32.mul (local.get $jb) (i32.const 4)))
    (local.set $jj (i32.const 0))
    (block $lanes_done (loop $lanes
      (br_if $lanes_done (i32.ge_u (local.get $jj) (local.get $jbBytes)))
      (local.set $p (f32x4.splat (f32.const 0))) (local.set $q (f32x4.splat (f32.const 0)))
      (local.set $r (f32x4.splat (f32.const 0))) (local.set $s (f32x4.splat (f32.const 0)))
      (local.set $k (i32.const 0))
      (block $taps_done (loop $taps
        (br_if $taps_done (i32.ge_u (local.get $k) (local.get $h)))
        (local.set $tp (i32.add (i32.mul (local.get $k) (local.get $tStep)) (local.get $jj)))
        (local.set $a (v128.load (i32.add (local.get $tRe) (local.get $tp))))
        (local.set $b (v128.load (i32.add (local.get $tIm) (local.get $tp))))
        (local.set $c (f32x4.splat (f32.load (i32.add (local.get $cs) (i32.mul (local.get $k) (i32.const 4))))))
        (local.set $sk (f32x4.splat (f32.load (i32.add (local.get $sn) (i32.mul (local.get $k) (i32.const 4))))))
        (local.set $p (f32x4.relaxed_madd (local.get $a) (local.get $c) (local.get $p)))
        (local.set $q (f32x4.relaxed_madd (local.get $b) (local.get $sk) (local.get $q)))
        (local.set $r (f32x4.relaxed_madd (local.get $b) (local.get $c) (local.get $r)))
        (local.set $s (f32x4.relaxed_madd (local.get $a) (local.get $sk) (local.get $s)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $taps)))
      (v128.store (i32.add (local.get $outRe) (local.get $jj)) (f32x4.add (local.get $p) (local.get $q)))
      (v128.store (i32.add (local.get $outIm) (local.get $jj)) (f32x4.sub (local.get $r) (local.get $s)))
      (if (i32.ge_s (local.get $gRe) (i32.const 0)) (then
        (v128.store (i32.add (local.get $gRe) (local.get $jj)) (f32x4.sub (local.get $p) (local.get $q)))
        (v128.store (i32.add (local.get $gIm) (local.get $jj)) (f32x4.add (local.get $r) (local.get $s)))))
      (local.set $jj (i32.add (local.get $jj) (i32.const 16)))
      (br $lanes)))
  )

  ;; Stage 1 of the DFT (bounds/numerics/fft2.ts): tre += c x, tim += s x over n bytes of float32 lanes (x, tre, tim in
  ;; bytes): one tap l of T[k][v] = sum_l W[k,l] e^{-2 pi i v l / n_w} for a block of channel pairs.
  (func (export "taps") (param $x i32) (param $c f32) (param $s f32) (param $tre i32) (param $tim i32) (param $n i32)
    (local $j i32)
    (local $vc v128) (local $vs v128) (local $vx v128)
    (local.set $vc (f32x4.splat (local.get $c)))
    (local.set $vs (f32x4.splat (local.get $s)))
    (local.set $j (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $vx (v128.load (i32.add (local.get $x) (local.get $j))))
      (v128.store (i32.add (local.get $tre) (local.get $j))
        (f32x4.relaxed_madd (local.get $vc) (local.get $vx) (v128.load (i32.add (local.get $tre) (local.get $j)))))
      (v128.store (i32.add (local.get $tim) (local.get $j))
        (f32x4.relaxed_madd (local.get $vs) (local.get $vx) (v128.load (i32.add (local.get $tim) (local.get $j)))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $next)))
  )

  ;; One Lanczos step of the screening race (bounds/methods/frequency-screen.ts) on float32 vectors of R rows (R a
  ;; multiple of 4), each stored re[R] then im[R]:
  ;;   w = G_f qc (gram), alpha = Re qc^H w, w -= (qp^H w) qp (unless first), w -= (qc^H w) qc,
  ;;   out = [alpha, |w|^2], then qp is overwritten by w / |w|.
  ;; Moving this O(R) work next to the product saves the ~5 us per step it took in JavaScript at R = 64. The seven
  ;; passes over the vectors run as four: each dot product shares the pass that last wrote w (or that reads the
  ;; same w), its lanes summed in the same order, so every value is the one of the pass-by-pass sequence above.
  (func $step (export "step")
    (param $m i32) (param $rows i32) (param $cols i32) (param $qc i32) (param $qp i32) (param $y i32) (param $w i32)
    (param $first i32) (param $out i32)
    (local $j i32) (local $imag i32)
    ;; x + i xi: a lane of qc (z + i zi: of qp); u + i v: of w; alpha's sum a, two more sums; the projection
    ;; coefficient h = hr + i hi (splatted)
    (local $x v128) (local $xi v128) (local $z v128) (local $zi v128) (local $u v128) (local $v v128)
    (local $a v128) (local $s1 v128) (local $s2 v128) (local $hr v128) (local $hi v128)
    (call $gram (local.get $m) (local.get $rows) (local.get $cols) (local.get $qc) (local.get $y) (local.get $w))
    (local.set $imag (i32.mul (local.get $rows) (i32.const 4)))
    (local.set $a (f32x4.splat (f32.const 0)))
    (local.set $s1 (f32x4.splat (f32.const 0))) (local.set $s2 (f32x4.splat (f32.const 0)))
    (local.set $j (i32.const 0))
    (if (local.get $first) (then
      ;; alpha = Re qc^H w = sum x u + xi v; and h = qc^H w on the same w: hr = x u + xi v, hi = x v - xi u
      (block $first_done (loop $first_dots
        (br_if $first_done (i32.ge_u (local.get $j) (local.get $imag)))
        (local.set $x (v128.load (i32.add (local.get $qc) (local.get $j))))
        (local.set $xi (v128.load (i32.add (i32.add (local.get $qc) (local.get $imag)) (local.get $j))))
        (local.set $u (v128.load (i32.add (local.get $w) (local.get $j))))
        (local.set $v (v128.load (i32.add (i32.add (local.get $w) (local.get $imag)) (local.get $j))))
        (local.set $a (f32x4.relaxed_madd (local.get $x) (local.get $u) (local.get $a)))
        (local.set $a (f32x4.relaxed_madd (local.get $xi) (local.get $v) (local.get $a)))
        (local.set $s1 (f32x4.relaxed_madd (local.get $x) (local.get $u) (local.get $s1)))
        (local.set $s1 (f32x4.relaxed_madd (local.get $xi) (local.get $v) (local.get $s1)))
        (local.set $s2 (f32x4.relaxed_madd (local.get $x) (local.get $v) (local.get $s2)))
        (local.set $s2 (f32x4.relaxed_nmadd (local.get $xi) (local.get $u) (local.get $s2)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $first_dots))))
    (else
      ;; alpha as above, and h = qp^H w = sum (z - i zi)(u + i v) on the same w
      (block $pair_done (loop $pair_dots
        (br_if $pair_done (i32.ge_u (local.get $j) (local.get $imag)))
        (local.set $x (v128.load (i32.add (local.get $qc) (local.get $j))))
        (local.set $xi (v128.load (i32.add (i32.add (local.get $qc) (local.get $imag)) (local.get $j))))
        (local.set $z (v128.load (i32.add (local.get $qp) (local.get $j))))
        (local.set $zi (v128.load (i32.add (i32.add (local.get $qp) (local.get $imag)) (local.get $j))))
        (local.set $u (v128.load (i32.add (local.get $w) (local.get $j))))
        (local.set $v (v128.load (i32.add (i32.add (local.get $w) (local.get $imag)) (local.get $j))))
        (local.set $a (f32x4.relaxed_madd (local.get $x) (local.get $u) (local.get $a)))
        (local.set $a (f32x4.relaxed_madd (local.get $xi) (local.get $v) (local.get $a)))
        (local.set $s1 (f32x4.relaxed_madd (local.get $z) (local.get $u) (local.get $s1)))
        (local.set $s1 (f32x4.relaxed_madd (local.get $zi) (local.get $v) (local.get $s1)))
        (local.set $s2 (f32x4.relaxed_madd (local.get $z) (local.get $v) (local.get $s2)))
        (local.set $s2 (f32x4.relaxed_nmadd (local.get $zi) (local.get $u) (local.get $s2)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $pair_dots)))
      (local.set $hr (f32x4.splat (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $s1)) (f32x4.extract_lane 1 (local.get $s1)))
            (f32x4.extract_lane 2 (local.get $s1)))
          (f32x4.extract_lane 3 (local.get $s1)))))
      (local.set $hi (f32x4.splat (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $s2)) (f32x4.extract_lane 1 (local.get $s2)))
            (f32x4.extract_lane 2 (local.get $s2)))
          (f32x4.extract_lane 3 (local.get $s2)))))
      ;; w -= h qp (u -= hr z - hi zi; v -= hr zi + hi z), then h = qc^H w on the new w
      (local.set $s1 (f32x4.splat (f32.const 0))) (local.set $s2 (f32x4.splat (f32.const 0)))
      (local.set $j (i32.const 0))
      (block $qp_done (loop $qp_sub
        (br_if $qp_done (i32.ge_u (local.get $j) (local.get $imag)))
        (local.set $z (v128.load (i32.add (local.get $qp) (local.get $j))))
        (local.set $zi (v128.load (i32.add (i32.add (local.get $qp) (local.get $imag)) (local.get $j))))
        (local.set $u (v128.load (i32.add (local.get $w) (local.get $j))))
        (local.set $v (v128.load (i32.add (i32.add (local.get $w) (local.get $imag)) (local.get $j))))
        (local.set $u (f32x4.relaxed_nmadd (local.get $hr) (local.get $z) (local.get $u)))
        (local.set $u (f32x4.relaxed_madd (local.get $hi) (local.get $zi) (local.get $u)))
        (local.set $v (f32x4.relaxed_nmadd (local.get $hr) (local.get $zi) (local.get $v)))
        (local.set $v (f32x4.relaxed_nmadd (local.get $hi) (local.get $z) (local.get $v)))
        (v128.store (i32.add (local.get $w) (local.get $j)) (local.get $u))
        (v128.store (i32.add (i32.add (local.get $w) (local.get $imag)) (local.get $j)) (local.get $v))
        (local.set $x (v128.load (i32.add (local.get $qc) (local.get $j))))
        (local.set $xi (v128.load (i32.add (i32.add (local.get $qc) (local.get $imag)) (local.get $j))))
        (local.set $s1 (f32x4.relaxed_madd (local.get $x) (local.get $u) (local.get $s1)))
        (local.set $s1 (f32x4.relaxed_madd (local.get $xi) (local.get $v) (local.get $s1)))
        (local.set $s2 (f32x4.relaxed_madd (local.get $x) (local.get $v) (local.get $s2)))
        (local.set $s2 (f32x4.relaxed_nmadd (local.get $xi) (local.get $u) (local.get $s2)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $qp_sub)))))
    (f32.store (local.get $out) (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
            (f32x4.extract_lane 2 (local.get $a)))
          (f32x4.extract_lane 3 (local.get $a))))
    (local.set $hr (f32x4.splat (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $s1)) (f32x4.extract_lane 1 (local.get $s1)))
            (f32x4.extract_lane 2 (local.get $s1)))
          (f32x4.extract_lane 3 (local.get $s1)))))
    (local.set $hi (f32x4.splat (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $s2)) (f32x4.extract_lane 1 (local.get $s2)))
            (f32x4.extract_lane 2 (local.get $s2)))
          (f32x4.extract_lane 3 (local.get $s2)))))
    ;; w -= h qc (u -= hr x - hi xi; v -= hr xi + hi x), and |w|^2 of the new w
    (local.set $s1 (f32x4.splat (f32.const 0)))
    (local.set $j (i32.const 0))
    (block $qc_done (loop $qc_sub
      (br_if $qc_done (i32.ge_u (local.get $j) (local.get $imag)))
      (local.set $x (v128.load (i32.add (local.get $qc) (local.get $j))))
      (local.set $xi (v128.load (i32.add (i32.add (local.get $qc) (local.get $imag)) (local.get $j))))
      (local.set $u (v128.load (i32.add (local.get $w) (local.get $j))))
      (local.set $v (v128.load (i32.add (i32.add (local.get $w) (local.get $imag)) (local.get $j))))
      (local.set $u (f32x4.relaxed_nmadd (local.get $hr) (local.get $x) (local.get $u)))
      (local.set $u (f32x4.relaxed_madd (local.get $hi) (local.get $xi) (local.get $u)))
      (local.set $v (f32x4.relaxed_nmadd (local.get $hr) (local.get $xi) (local.get $v)))
      (local.set $v (f32x4.relaxed_nmadd (local.get $hi) (local.get $x) (local.get $v)))
      (v128.store (i32.add (local.get $w) (local.get $j)) (local.get $u))
      (v128.store (i32.add (i32.add (local.get $w) (local.get $imag)) (local.get $j)) (local.get $v))
      (local.set $s1 (f32x4.relaxed_madd (local.get $u) (local.get $u) (local.get $s1)))
      (local.set $s1 (f32x4.relaxed_madd (local.get $v) (local.get $v) (local.get $s1)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $qc_sub)))
    ;; out[1] = |w|^2, then qp = w / |w|
    (f32.store (i32.add (local.get $out) (i32.const 4)) (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $s1)) (f32x4.extract_lane 1 (local.get $s1)))
            (f32x4.extract_lane 2 (local.get $s1)))
          (f32x4.extract_lane 3 (local.get $s1))))
    (local.set $hr (f32x4.splat (f32.div (f32.const 1) (f32.sqrt (f32.add
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $s1)) (f32x4.extract_lane 1 (local.get $s1)))
            (f32x4.extract_lane 2 (local.get $s1)))
          (f32x4.extract_lane 3 (local.get $s1)))))))
    (local.set $j (i32.const 0))
    (block $scale_done (loop $scale
      (br_if $scale_done (i32.ge_u (local.get $j) (local.get $imag)))
      (v128.store (i32.add (local.get $qp) (local.get $j)) (f32x4.mul (v128.load (i32.add (local.get $w) (local.get $j))) (local.get $hr)))
      (v128.store (i32.add (i32.add (local.get $qp) (local.get $imag)) (local.get $j))
        (f32x4.mul (v128.load (i32.add (i32.add (local.get $w) (local.get $imag)) (local.get $j))) (local.get $hr)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $scale)))
  )

  ;; steps(m, R, C, q0, q1, y, w, first, out, n): n screening steps in a row (one call instead of n from
  ;; JavaScript), q_k in slot q0 and q_(k-1) in slot q1 to begin with, the slots swapping after every step as
  ;; frequency-screen.ts does; step s writes its [alpha, |w|^2] at out + 8 s. `first`: the first step is k = 0.
  (func (export "steps")
    (param $m i32) (param $rows i32) (param $cols i32) (param $q0 i32) (param $q1 i32) (param $y i32) (param $w i32)
    (param $first i32) (param $out i32) (param $n i32)
    (local $s i32) (local $t i32)
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $s) (local.get $n)))
      (call $step (local.get $m) (local.get $rows) (local.get $cols) (local.get $q0) (local.get $q1) (local.get $y)
        (local.get $w) (i32.and (local.get $first) (i32.eqz (local.get $s)))
        (i32.add (local.get $out) (i32.mul (local.get $s) (i32.const 8))))
      (local.set $t (local.get $q0))
      (local.set $q0 (local.get $q1))
      (local.set $q1 (local.get $t))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $each)))
  )

  ;; gram64(m, R, C, q, y, w): the same product on float64 data (f64x2 lanes; C even), for the float64
  ;; confirmation of the frequencies that survive the float32 screening. The same loops as gram: the element size
  ;; sets the strides, a v128 always holds 16 bytes.
  (func (export "gram64")
    (param $m i32) (param $rows i32) (param $cols i32) (param $q i32) (param $y i32) (param $w i32)
    (local $r i32) (local $cc i32) (local $rowBytes i32) (local $imag i32)
    (local $pr0 i32) (local $pi0 i32) (local $pr1 i32) (local $pi1 i32) (local $evenRows i32) (local $yi i32)
    ;; q_r (re, im) splatted; rows r, r + 1 of M (re, im); scratch; y (re, im); the eight sums of two rows
    (local $qr v128) (local $qi v128) (local $xr0 v128) (local $xi0 v128) (local $xr1 v128) (local $xi1 v128)
    (local $s v128) (local $t v128) (local $vyr v128) (local $vyi v128)
    (local $rr0 v128) (local $ii0 v128) (local $ri0 v128) (local $ir0 v128)
    (local $rr1 v128) (local $ii1 v128) (local $ri1 v128) (local $ir1 v128)
    (local.set $rowBytes (i32.mul (local.get $cols) (i32.const 8)))
    (local.set $imag (i32.mul (local.get $rowBytes) (local.get $rows)))
    (local.set $evenRows (i32.and (local.get $rows) (i32.const -2)))
    (local.set $yi (i32.add (local.get $y) (local.get $rowBytes)))
    ;; y = 0
    (local.set $cc (i32.const 0))
    (block $zero_done (loop $zero
      (br_if $zero_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
      (v128.store (i32.add (local.get $y) (local.get $cc)) (f32x4.splat (f32.const 0)))
      (v128.store (i32.add (i32.add (local.get $y) (local.get $rowBytes)) (local.get $cc)) (f32x4.splat (f32.const 0)))
      (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
      (br $zero)))
    ;; y = M^H q, one row r at a time: yr += Mr qr + Mi qi, yi += Mr qi - Mi qr (two rows per sweep, though they
    ;; load y once, measured slower here)
    (local.set $r (i32.const 0))
    (block $conj_done (loop $conj
      (br_if $conj_done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $qr (f64x2.splat (f64.load (i32.add (local.get $q) (i32.mul (local.get $r) (i32.const 8))))))
      (local.set $qi
        (f64x2.splat
          (f64.load (i32.add (local.get $q) (i32.mul (i32.add (local.get $r) (local.get $rows)) (i32.const 8))))))
      ;; rows r and r + 1 of M: real parts at pr, imaginary parts imag bytes further
      (local.set $pr0 (i32.add (local.get $m) (i32.mul (local.get $r) (local.get $rowBytes))))
      (local.set $pi0 (i32.add (local.get $pr0) (local.get $imag)))
      (local.set $pr1 (i32.add (local.get $pr0) (local.get $rowBytes)))
      (local.set $pi1 (i32.add (local.get $pi0) (local.get $rowBytes)))
      (local.set $cc (i32.const 0))
      (block $conj_cols_done (loop $conj_cols
        (br_if $conj_cols_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
        (local.set $xr0 (v128.load (i32.add (local.get $pr0) (local.get $cc))))
        (local.set $xi0 (v128.load (i32.add (local.get $pi0) (local.get $cc))))
        (v128.store (i32.add (local.get $y) (local.get $cc))
          (f64x2.relaxed_madd
            (local.get $xi0)
            (local.get $qi)
            (f64x2.relaxed_madd (local.get $xr0) (local.get $qr) (v128.load (i32.add (local.get $y) (local.get $cc))))))
        (v128.store (i32.add (local.get $yi) (local.get $cc))
          (f64x2.relaxed_nmadd
            (local.get $xi0)
            (local.get $qr)
            (f64x2.relaxed_madd
              (local.get $xr0)
              (local.get $qi)
              (v128.load (i32.add (local.get $yi) (local.get $cc))))))
        (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
        (br $conj_cols)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $conj)))
    ;; w = M y two rows r, r + 1 at a time (sharing the y loads; 8 independent sums, so no single chain of
    ;; dependent adds bounds the loop): wr = sum Mr yr - Mi yi, wi = sum Mr yi + Mi yr
    (local.set $r (i32.const 0))
    (block $pairs_done (loop $pairs
      (br_if $pairs_done (i32.ge_u (local.get $r) (local.get $evenRows)))
      ;; rows r and r + 1 of M: real parts at pr, imaginary parts imag bytes further
      (local.set $pr0 (i32.add (local.get $m) (i32.mul (local.get $r) (local.get $rowBytes))))
      (local.set $pi0 (i32.add (local.get $pr0) (local.get $imag)))
      (local.set $pr1 (i32.add (local.get $pr0) (local.get $rowBytes)))
      (local.set $pi1 (i32.add (local.get $pi0) (local.get $rowBytes)))
      (local.set $rr0 (f32x4.splat (f32.const 0))) (local.set $ii0 (f32x4.splat (f32.const 0)))
      (local.set $ri0 (f32x4.splat (f32.const 0))) (local.set $ir0 (f32x4.splat (f32.const 0)))
      (local.set $rr1 (f32x4.splat (f32.const 0))) (local.set $ii1 (f32x4.splat (f32.const 0)))
      (local.set $ri1 (f32x4.splat (f32.const 0))) (local.set $ir1 (f32x4.splat (f32.const 0)))
      (local.set $cc (i32.const 0))
      (block $pair_cols_done (loop $pair_cols
        (br_if $pair_cols_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
        (local.set $vyr (v128.load (i32.add (local.get $y) (local.get $cc))))
        (local.set $vyi (v128.load (i32.add (local.get $yi) (local.get $cc))))
        (local.set $xr0 (v128.load (i32.add (local.get $pr0) (local.get $cc))))
        (local.set $xi0 (v128.load (i32.add (local.get $pi0) (local.get $cc))))
        (local.set $rr0 (f64x2.relaxed_madd (local.get $xr0) (local.get $vyr) (local.get $rr0)))
        (local.set $ii0 (f64x2.relaxed_madd (local.get $xi0) (local.get $vyi) (local.get $ii0)))
        (local.set $ri0 (f64x2.relaxed_madd (local.get $xr0) (local.get $vyi) (local.get $ri0)))
        (local.set $ir0 (f64x2.relaxed_madd (local.get $xi0) (local.get $vyr) (local.get $ir0)))
        (local.set $xr1 (v128.load (i32.add (local.get $pr1) (local.get $cc))))
        (local.set $xi1 (v128.load (i32.add (local.get $pi1) (local.get $cc))))
        (local.set $rr1 (f64x2.relaxed_madd (local.get $xr1) (local.get $vyr) (local.get $rr1)))
        (local.set $ii1 (f64x2.relaxed_madd (local.get $xi1) (local.get $vyi) (local.get $ii1)))
        (local.set $ri1 (f64x2.relaxed_madd (local.get $xr1) (local.get $vyi) (local.get $ri1)))
        (local.set $ir1 (f64x2.relaxed_madd (local.get $xi1) (local.get $vyr) (local.get $ir1)))
        (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
        (br $pair_cols)))
      ;; w[r + 0] = (sum rr - ii, sum ri + ir)
      (local.set $s (f64x2.sub (local.get $rr0) (local.get $ii0)))
      (f64.store
        (i32.add (local.get $w) (i32.mul (i32.add (local.get $r) (i32.const 0)) (i32.const 8)))
        (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))
      (local.set $t (f64x2.add (local.get $ri0) (local.get $ir0)))
      (f64.store
        (i32.add
          (local.get $w)
          (i32.mul (i32.add (i32.add (local.get $r) (local.get $rows)) (i32.const 0)) (i32.const 8)))
        (f64.add (f64x2.extract_lane 0 (local.get $t)) (f64x2.extract_lane 1 (local.get $t))))
      ;; w[r + 1] = (sum rr - ii, sum ri + ir)
      (local.set $s (f64x2.sub (local.get $rr1) (local.get $ii1)))
      (f64.store
        (i32.add (local.get $w) (i32.mul (i32.add (local.get $r) (i32.const 1)) (i32.const 8)))
        (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))
      (local.set $t (f64x2.add (local.get $ri1) (local.get $ir1)))
      (f64.store
        (i32.add
          (local.get $w)
          (i32.mul (i32.add (i32.add (local.get $r) (local.get $rows)) (i32.const 1)) (i32.const 8)))
        (f64.add (f64x2.extract_lane 0 (local.get $t)) (f64x2.extract_lane 1 (local.get $t))))
      (local.set $r (i32.add (local.get $r) (i32.const 2)))
      (br $pairs)))
    ;; the odd last row (r = evenRows here)
    (if (i32.lt_u (local.get $r) (local.get $rows)) (then
      ;; rows r and r + 1 of M: real parts at pr, imaginary parts imag bytes further
      (local.set $pr0 (i32.add (local.get $m) (i32.mul (local.get $r) (local.get $rowBytes))))
      (local.set $pi0 (i32.add (local.get $pr0) (local.get $imag)))
      (local.set $pr1 (i32.add (local.get $pr0) (local.get $rowBytes)))
      (local.set $pi1 (i32.add (local.get $pi0) (local.get $rowBytes)))
      (local.set $rr0 (f32x4.splat (f32.const 0))) (local.set $ii0 (f32x4.splat (f32.const 0)))
      (local.set $ri0 (f32x4.splat (f32.const 0))) (local.set $ir0 (f32x4.splat (f32.const 0)))
      (local.set $cc (i32.const 0))
      (block $last_cols_done (loop $last_cols
        (br_if $last_cols_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
        (local.set $vyr (v128.load (i32.add (local.get $y) (local.get $cc))))
        (local.set $vyi (v128.load (i32.add (local.get $yi) (local.get $cc))))
        (local.set $xr0 (v128.load (i32.add (local.get $pr0) (local.get $cc))))
        (local.set $xi0 (v128.load (i32.add (local.get $pi0) (local.get $cc))))
        (local.set $rr0 (f64x2.relaxed_madd (local.get $xr0) (local.get $vyr) (local.get $rr0)))
        (local.set $ii0 (f64x2.relaxed_madd (local.get $xi0) (local.get $vyi) (local.get $ii0)))
        (local.set $ri0 (f64x2.relaxed_madd (local.get $xr0) (local.get $vyi) (local.get $ri0)))
        (local.set $ir0 (f64x2.relaxed_madd (local.get $xi0) (local.get $vyr) (local.get $ir0)))
        (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
        (br $last_cols)))
      ;; w[r + 0] = (sum rr - ii, sum ri + ir)
      (local.set $s (f64x2.sub (local.get $rr0) (local.get $ii0)))
      (f64.store
        (i32.add (local.get $w) (i32.mul (i32.add (local.get $r) (i32.const 0)) (i32.const 8)))
        (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))
      (local.set $t (f64x2.add (local.get $ri0) (local.get $ir0)))
      (f64.store
        (i32.add
          (local.get $w)
          (i32.mul (i32.add (i32.add (local.get $r) (local.get $rows)) (i32.const 0)) (i32.const 8)))
        (f64.add (f64x2.extract_lane 0 (local.get $t)) (f64x2.extract_lane 1 (local.get $t))))
    ))
  )
)
