;; The LSTM forward step's gate math in WebAssembly SIMD, over tfjs-wasm's own memory (imported):
;; for every row r < B and column j < H, with z = (R + P) + b (tfjs's order: x·W + h·U, then the bias),
;;   i = rec(z_i)  f = rec(z_f)  g = tanh(z_c)  o = rec(z_o)
;;   c_t = f·c + i·g      h_t = o·tanh(c_t)
;; rec: sigmoid (XNNPACK's rr2-p5-div algorithm, the one tfjs-wasm's Sigmoid family uses) or
;; hardSigmoid (max(0, min(1, 0.5 + 0.2·a)), tfjs-layers' order). tanh from e^{−2|a|}, reduced as
;; XNNPACK reduces it (2^n by the magic bias, ln 2 in two parts), the remainder's expm1 by its
;; Taylor polynomial to degree 7; then −E / (2 + E) with E = expm1(−2|a|) below |a| = 1/2 (no
;; cancellation near 0, where tanh(a) ≈ a) and 1 − 2F / (1 + F) with F = e^{−2|a|} above.
;; Source of src/platform/backend/lstm_step_wasm.ts (scripts/build_wasm.js assembles it).
(module
  (import "env" "memory" (memory 0))

  ;; exp(−z) as (s, t): s = 2^n, t = z + n·ln2 (so exp(−z) = s·exp(−t)), n = round(−z / ln 2).
  (func $sigmoid (param $x v128) (result v128)
    (local $z v128) (local $n v128) (local $s v128) (local $t v128) (local $p v128) (local $e v128) (local $f v128)
    (local.set $z (f32x4.abs (local.get $x)))
    (local.set $n (f32x4.add (f32x4.mul (local.get $z) (v128.const f32x4 -0x1.715476p+0 -0x1.715476p+0 -0x1.715476p+0 -0x1.715476p+0))
                             (v128.const f32x4 0x1.8000fep+23 0x1.8000fep+23 0x1.8000fep+23 0x1.8000fep+23)))
    (local.set $s (i32x4.shl (local.get $n) (i32.const 23)))
    (local.set $n (f32x4.sub (local.get $n) (v128.const f32x4 0x1.8000fep+23 0x1.8000fep+23 0x1.8000fep+23 0x1.8000fep+23)))
    (local.set $t (f32x4.add (f32x4.mul (local.get $n) (v128.const f32x4 0x1.62e4p-1 0x1.62e4p-1 0x1.62e4p-1 0x1.62e4p-1)) (local.get $z)))
    (local.set $t (f32x4.add (f32x4.mul (local.get $n) (v128.const f32x4 0x1.7f7d1cp-20 0x1.7f7d1cp-20 0x1.7f7d1cp-20 0x1.7f7d1cp-20)) (local.get $t)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $t) (v128.const f32x4 -0x1.0f9f9cp-7 -0x1.0f9f9cp-7 -0x1.0f9f9cp-7 -0x1.0f9f9cp-7))
                             (v128.const f32x4 0x1.573a1ap-5 0x1.573a1ap-5 0x1.573a1ap-5 0x1.573a1ap-5)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $t) (local.get $p)) (v128.const f32x4 -0x1.555a8p-3 -0x1.555a8p-3 -0x1.555a8p-3 -0x1.555a8p-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $t) (local.get $p)) (v128.const f32x4 0x1.fffdc6p-2 0x1.fffdc6p-2 0x1.fffdc6p-2 0x1.fffdc6p-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $t) (local.get $p)) (v128.const f32x4 -0x1.fffff6p-1 -0x1.fffff6p-1 -0x1.fffff6p-1 -0x1.fffff6p-1)))
    (local.set $t (f32x4.mul (local.get $t) (local.get $s)))
    (local.set $e (f32x4.add (f32x4.mul (local.get $t) (local.get $p)) (local.get $s)))
    (local.set $f (f32x4.div (local.get $e) (f32x4.add (local.get $e) (v128.const f32x4 1 1 1 1))))
    ;; z beyond the denormal cutoff: exp(−z) flushes to 0
    (local.set $f (v128.andnot (local.get $f) (f32x4.gt (local.get $z) (v128.const f32x4 0x1.5d589ep+6 0x1.5d589ep+6 0x1.5d589ep+6 0x1.5d589ep+6))))
    ;; x > 0: 1 − f
    (v128.bitselect (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $f)) (local.get $f)
                    (f32x4.gt (local.get $x) (v128.const f32x4 0 0 0 0))))

  (func $hardSigmoid (param $x v128) (result v128)
    (f32x4.max (v128.const f32x4 0 0 0 0)
      (f32x4.min (v128.const f32x4 1 1 1 1)
        (f32x4.add (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.mul (v128.const f32x4 0.2 0.2 0.2 0.2) (local.get $x))))))

  (func $tanh (param $x v128) (result v128)
    (local $z v128) (local $n v128) (local $s v128) (local $t v128) (local $u v128) (local $q v128) (local $e v128)
    (local $sq v128) (local $F v128) (local $d v128) (local $small v128)
    ;; z = 2|x|, at most 40 (tanh is 1 in float32 well before); NaN stays NaN
    (local.set $z (f32x4.min (f32x4.add (f32x4.abs (local.get $x)) (f32x4.abs (local.get $x))) (v128.const f32x4 40 40 40 40)))
    (local.set $n (f32x4.add (f32x4.mul (local.get $z) (v128.const f32x4 -0x1.715476p+0 -0x1.715476p+0 -0x1.715476p+0 -0x1.715476p+0))
                             (v128.const f32x4 0x1.8000fep+23 0x1.8000fep+23 0x1.8000fep+23 0x1.8000fep+23)))
    (local.set $s (i32x4.shl (local.get $n) (i32.const 23)))
    (local.set $n (f32x4.sub (local.get $n) (v128.const f32x4 0x1.8000fep+23 0x1.8000fep+23 0x1.8000fep+23 0x1.8000fep+23)))
    (local.set $t (f32x4.add (f32x4.mul (local.get $n) (v128.const f32x4 0x1.62e4p-1 0x1.62e4p-1 0x1.62e4p-1 0x1.62e4p-1)) (local.get $z)))
    (local.set $t (f32x4.add (f32x4.mul (local.get $n) (v128.const f32x4 0x1.7f7d1cp-20 0x1.7f7d1cp-20 0x1.7f7d1cp-20 0x1.7f7d1cp-20)) (local.get $t)))
    ;; q = expm1(u), u = −t, |u| ≤ ln2/2: u + u²·(1/2 + u·(1/6 + u·(1/24 + u·(1/120 + u·(1/720 + u/5040)))))
    (local.set $u (f32x4.neg (local.get $t)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $u) (v128.const f32x4 0x1.a01a02p-13 0x1.a01a02p-13 0x1.a01a02p-13 0x1.a01a02p-13))
                             (v128.const f32x4 0x1.6c16c2p-10 0x1.6c16c2p-10 0x1.6c16c2p-10 0x1.6c16c2p-10)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $u) (local.get $q)) (v128.const f32x4 0x1.111112p-7 0x1.111112p-7 0x1.111112p-7 0x1.111112p-7)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $u) (local.get $q)) (v128.const f32x4 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $u) (local.get $q)) (v128.const f32x4 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $u) (local.get $q)) (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (local.set $q (f32x4.add (f32x4.mul (f32x4.mul (local.get $u) (local.get $u)) (local.get $q)) (local.get $u)))
    ;; e^{−z} = s·(1 + q). Below z = 1 (|x| < 1/2): tanh(|x|) = −E / (2 + E), E = expm1(−z) = s·q + (s − 1),
    ;; no cancellation near 0; above: tanh(|x|) = 1 − 2·F / (1 + F), F = e^{−z} = s·q + s, which rounds
    ;; once near 1 (−E / (2 + E) would twice). One division for both.
    (local.set $sq (f32x4.mul (local.get $s) (local.get $q)))
    (local.set $small (f32x4.lt (local.get $z) (v128.const f32x4 1 1 1 1)))
    (local.set $e (f32x4.add (local.get $sq) (f32x4.sub (local.get $s) (v128.const f32x4 1 1 1 1))))
    (local.set $F (f32x4.add (local.get $sq) (local.get $s)))
    (local.set $d (f32x4.div
      (v128.bitselect (f32x4.abs (local.get $e)) (local.get $F) (local.get $small)) ;; −E = |E| (and +0 at 0)
      (v128.bitselect (f32x4.add (local.get $e) (v128.const f32x4 2 2 2 2)) (f32x4.add (local.get $F) (v128.const f32x4 1 1 1 1)) (local.get $small))))
    ;; with the sign of x
    (v128.or
      (v128.bitselect (local.get $d) (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.add (local.get $d) (local.get $d))) (local.get $small))
      (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))

  (func $rec (param $x v128) (param $hard i32) (result v128)
    (if (result v128) (local.get $hard)
      (then (call $hardSigmoid (local.get $x)))
      (else (call $sigmoid (local.get $x)))))

  ;; 4 floats at ptr, or the first k < 4 of them (the rest 0): no read past a row's end.
  (func $load (param $ptr i32) (param $k i32) (result v128)
    (local $v v128)
    (if (result v128) (i32.ge_u (local.get $k) (i32.const 4))
      (then (v128.load (local.get $ptr)))
      (else
        (local.set $v (f32x4.replace_lane 0 (v128.const f32x4 0 0 0 0) (f32.load (local.get $ptr))))
        (if (i32.gt_u (local.get $k) (i32.const 1)) (then (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load offset=4 (local.get $ptr))))))
        (if (i32.gt_u (local.get $k) (i32.const 2)) (then (local.set $v (f32x4.replace_lane 2 (local.get $v) (f32.load offset=8 (local.get $ptr))))))
        (local.get $v))))

  (func $store (param $ptr i32) (param $v v128) (param $k i32)
    (if (i32.ge_u (local.get $k) (i32.const 4))
      (then (v128.store (local.get $ptr) (local.get $v)))
      (else
        (f32.store (local.get $ptr) (f32x4.extract_lane 0 (local.get $v)))
        (if (i32.gt_u (local.get $k) (i32.const 1)) (then (f32.store offset=4 (local.get $ptr) (f32x4.extract_lane 1 (local.get $v)))))
        (if (i32.gt_u (local.get $k) (i32.const 2)) (then (f32.store offset=8 (local.get $ptr) (f32x4.extract_lane 2 (local.get $v))))))))

  ;; Byte offsets: R, P [B, 4H]; bias [4H] (0: none); c [B, H]; outputs c_t, h_t, i, f, g, o [B, H].
  ;; flags: bit 0 a bias, bit 1 rec = hardSigmoid (else sigmoid).
  (func (export "lstm_forward")
    (param $R i32) (param $P i32) (param $b i32) (param $c i32)
    (param $oc i32) (param $oh i32) (param $oi i32) (param $of i32) (param $og i32) (param $oo i32)
    (param $B i32) (param $H i32) (param $flags i32)
    (local $r i32) (local $j i32) (local $k i32) (local $hard i32) (local $bias i32)
    (local $zrow i32) (local $srow i32) (local $gate i32) (local $at i32) (local $st i32)
    (local $zi v128) (local $zf v128) (local $zc v128) (local $zo v128)
    (local $i v128) (local $f v128) (local $g v128) (local $o v128) (local $cn v128) (local $hn v128) (local $cp v128)
    (local.set $bias (i32.and (local.get $flags) (i32.const 1)))
    (local.set $hard (i32.shr_u (i32.and (local.get $flags) (i32.const 2)) (i32.const 1)))
    (local.set $gate (i32.shl (local.get $H) (i32.const 2))) ;; bytes between gate blocks
    (local.set $r (i32.const 0))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $B)))
        (local.set $zrow (i32.mul (local.get $r) (i32.shl (local.get $gate) (i32.const 2)))) ;; r·4H floats, in bytes
        (local.set $srow (i32.mul (local.get $r) (local.get $gate)))                         ;; r·H floats, in bytes
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $j) (local.get $H)))
            (local.set $k (i32.sub (local.get $H) (local.get $j)))
            (local.set $at (i32.add (local.get $zrow) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $st (i32.add (local.get $srow) (i32.shl (local.get $j) (i32.const 2))))
            (if (i32.ge_u (local.get $k) (i32.const 4))
              (then ;; whole vectors: loads and stores inline
                (local.set $zi (f32x4.add (v128.load (i32.add (local.get $R) (local.get $at))) (v128.load (i32.add (local.get $P) (local.get $at)))))
                (local.set $at (i32.add (local.get $at) (local.get $gate)))
                (local.set $zf (f32x4.add (v128.load (i32.add (local.get $R) (local.get $at))) (v128.load (i32.add (local.get $P) (local.get $at)))))
                (local.set $at (i32.add (local.get $at) (local.get $gate)))
                (local.set $zc (f32x4.add (v128.load (i32.add (local.get $R) (local.get $at))) (v128.load (i32.add (local.get $P) (local.get $at)))))
                (local.set $at (i32.add (local.get $at) (local.get $gate)))
                (local.set $zo (f32x4.add (v128.load (i32.add (local.get $R) (local.get $at))) (v128.load (i32.add (local.get $P) (local.get $at)))))
                (local.set $cp (v128.load (i32.add (local.get $c) (local.get $st))))
                (if (local.get $bias)
                  (then
                    (local.set $at (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
                    (local.set $zi (f32x4.add (local.get $zi) (v128.load (local.get $at))))
                    (local.set $at (i32.add (local.get $at) (local.get $gate)))
                    (local.set $zf (f32x4.add (local.get $zf) (v128.load (local.get $at))))
                    (local.set $at (i32.add (local.get $at) (local.get $gate)))
                    (local.set $zc (f32x4.add (local.get $zc) (v128.load (local.get $at))))
                    (local.set $at (i32.add (local.get $at) (local.get $gate)))
                    (local.set $zo (f32x4.add (local.get $zo) (v128.load (local.get $at)))))))
              (else ;; the row's last 1–3 columns, lane by lane
                (local.set $zi (f32x4.add (call $load (i32.add (local.get $R) (local.get $at)) (local.get $k)) (call $load (i32.add (local.get $P) (local.get $at)) (local.get $k))))
                (local.set $at (i32.add (local.get $at) (local.get $gate)))
                (local.set $zf (f32x4.add (call $load (i32.add (local.get $R) (local.get $at)) (local.get $k)) (call $load (i32.add (local.get $P) (local.get $at)) (local.get $k))))
                (local.set $at (i32.add (local.get $at) (local.get $gate)))
                (local.set $zc (f32x4.add (call $load (i32.add (local.get $R) (local.get $at)) (local.get $k)) (call $load (i32.add (local.get $P) (local.get $at)) (local.get $k))))
                (local.set $at (i32.add (local.get $at) (local.get $gate)))
                (local.set $zo (f32x4.add (call $load (i32.add (local.get $R) (local.get $at)) (local.get $k)) (call $load (i32.add (local.get $P) (local.get $at)) (local.get $k))))
                (local.set $cp (call $load (i32.add (local.get $c) (local.get $st)) (local.get $k)))
                (if (local.get $bias)
                  (then
                    (local.set $at (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
                    (local.set $zi (f32x4.add (local.get $zi) (call $load (local.get $at) (local.get $k))))
                    (local.set $at (i32.add (local.get $at) (local.get $gate)))
                    (local.set $zf (f32x4.add (local.get $zf) (call $load (local.get $at) (local.get $k))))
                    (local.set $at (i32.add (local.get $at) (local.get $gate)))
                    (local.set $zc (f32x4.add (local.get $zc) (call $load (local.get $at) (local.get $k))))
                    (local.set $at (i32.add (local.get $at) (local.get $gate)))
                    (local.set $zo (f32x4.add (local.get $zo) (call $load (local.get $at) (local.get $k))))))))
            (local.set $i (call $rec (local.get $zi) (local.get $hard)))
            (local.set $f (call $rec (local.get $zf) (local.get $hard)))
            (local.set $g (call $tanh (local.get $zc)))
            (local.set $o (call $rec (local.get $zo) (local.get $hard)))
            (local.set $cn (f32x4.add (f32x4.mul (local.get $f) (local.get $cp)) (f32x4.mul (local.get $i) (local.get $g))))
            (local.set $hn (f32x4.mul (local.get $o) (call $tanh (local.get $cn))))
            (if (i32.ge_u (local.get $k) (i32.const 4))
              (then
                (v128.store (i32.add (local.get $oc) (local.get $st)) (local.get $cn))
                (v128.store (i32.add (local.get $oh) (local.get $st)) (local.get $hn))
                (v128.store (i32.add (local.get $oi) (local.get $st)) (local.get $i))
                (v128.store (i32.add (local.get $of) (local.get $st)) (local.get $f))
                (v128.store (i32.add (local.get $og) (local.get $st)) (local.get $g))
                (v128.store (i32.add (local.get $oo) (local.get $st)) (local.get $o)))
              (else
                (call $store (i32.add (local.get $oc) (local.get $st)) (local.get $cn) (local.get $k))
                (call $store (i32.add (local.get $oh) (local.get $st)) (local.get $hn) (local.get $k))
                (call $store (i32.add (local.get $oi) (local.get $st)) (local.get $i) (local.get $k))
                (call $store (i32.add (local.get $of) (local.get $st)) (local.get $f) (local.get $k))
                (call $store (i32.add (local.get $og) (local.get $st)) (local.get $g) (local.get $k))
                (call $store (i32.add (local.get $oo) (local.get $st)) (local.get $o) (local.get $k))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $cols)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; tanh alone, n floats at x → y (for the tests of the approximation).
  (func (export "tanh") (param $x i32) (param $y i32) (param $n i32)
    (local $j i32) (local $k i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $k (i32.sub (local.get $n) (local.get $j)))
        (call $store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2)))
                     (call $tanh (call $load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))) (local.get $k)))
                     (local.get $k))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $next))))
)
