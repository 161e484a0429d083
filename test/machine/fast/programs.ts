/**
 * WAT programs of the fast-mode differential tests. Every `handle` reads 16 bytes of parameters
 * (four little-endian i32s, p0..p3) from the end of its message into memory 0..15, so a message's
 * data (16 bytes) drives what it does.
 */
const HOST = `
  (import "holo" "msg_len" (func $len (result i32)))
  (import "holo" "msg_read" (func $read (param i32 i32 i32)))
  (import "holo" "output" (func $out (param i32 i32)))
  (import "holo" "send" (func $send (param i32 i32)))
  (import "holo" "spawn" (func $spawn (param i32 i32)))`;
const PARAMS = `
  (func $params (call $read (i32.const 0) (i32.sub (call $len) (i32.const 16)) (i32.const 16)))
  (func $p (param i32) (result i32) (i32.load (i32.shl (local.get 0) (i32.const 2))))`;

/** Loops, calls, recursion (fib), i64 math, stores, a division that traps, emitted items. */
export const COMPUTE = `(module ${HOST}
  (memory 1 4)
  (global $acc (mut i64) (i64.const 0))
  (global $cnt (mut i32) (i32.const 0))
  ${PARAMS}
  (func $fib (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $mix (param i64 i32) (result i64)
    (i64.rotl (i64.xor (i64.mul (local.get 0) (i64.const 0x9E3779B97F4A7C15))
                       (i64.extend_i32_u (local.get 1))) (i64.const 17)))
  (func (export "handle") (local $i i32) (local $n i32) (local $q i32)
    (call $params)
    (local.set $n (i32.and (call $p (i32.const 0)) (i32.const 63)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (global.set $acc (call $mix (global.get $acc) (local.get $i)))
      (i64.store offset=64 (i32.shl (local.get $i) (i32.const 3)) (global.get $acc))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (global.set $cnt (i32.add (global.get $cnt) (call $fib (i32.and (call $p (i32.const 1)) (i32.const 15)))))
    (local.set $q (i32.div_u (i32.const 100) (i32.and (call $p (i32.const 2)) (i32.const 7))))
    (i32.store16 offset=3 (local.get $q) (global.get $cnt))
    (call $out (i32.mul (i32.shr_u (call $p (i32.const 3)) (i32.const 20)) (i32.const 64))
               (i32.and (call $p (i32.const 3)) (i32.const 511)))
    (if (i32.and (call $p (i32.const 3)) (i32.const 0x1000)) (then (call $send (i32.const 8) (i32.const 33))))
    (if (i32.and (call $p (i32.const 3)) (i32.const 0x2000)) (then (call $spawn (i32.const 3) (i32.const 0))))))`;

/** br_table / br_if / return with values and drops, select, call_indirect (null, mismatch, out of bounds). */
export const CONTROL = `(module ${HOST}
  (type $ii (func (param i32) (result i32)))
  (type $v (func))
  (table 6 funcref)
  (elem (i32.const 0) $f1 $f2 $f3 $vv)
  (memory 1)
  (global $g (mut i32) (i32.const 7))
  ${PARAMS}
  (func $f1 (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $f2 (type $ii) (i32.mul (local.get 0) (i32.const 3)))
  (func $f3 (type $ii) (local.get 0) (i32.const 5) (i32.const 6) (drop) (drop) (return (i32.const 9)))
  (func $vv (type $v) (global.set $g (i32.const 1)))
  (func $sw (param i32 i32) (result i32)
    (i32.add (i32.const 1000)
      (block $b0 (result i32)
        (i32.const 100)
        (block $b1 (result i32)
          (i32.const 200) (i32.const 300)
          (block $b2 (result i32)
            (i32.const 400)
            (local.get 1)
            (local.get 0)
            (br_table $b2 $b1 $b0 3 $b1 $b2))
          (i32.add) (i32.add))
        (i32.add))))
  (func $bi (param i32 i32) (result i32)
    (block $o (result i32)
      (i32.const 5) (i32.const 6)
      (local.get 1)
      (br_if $o (local.get 0))
      (i32.add) (i32.add)))
  (func $bf (param i32) (result i32)
    (i32.const 1) (i32.const 2) (i32.const 3)
    (br_if 0 (local.get 0))
    (drop) (drop))
  (func $lp (param i32) (result i32) (local i32)
    (loop $l (result i32)
      (local.set 1 (i32.add (local.get 1) (i32.const 3)))
      (local.get 1)
      (br_if $l (i32.lt_u (local.get 1) (local.get 0)))))
  (func (export "handle")
    (call $params)
    (i32.store (i32.const 32) (call $sw (i32.load8_u (i32.const 0)) (call $p (i32.const 1))))
    (i32.store (i32.const 36) (call $bi (i32.load8_u (i32.const 1)) (call $p (i32.const 1))))
    (i32.store (i32.const 40) (call $bf (i32.load8_u (i32.const 2))))
    (i32.store (i32.const 44) (select (i32.const 1) (i32.const 2) (i32.load8_u (i32.const 3))))
    (i32.store (i32.const 52) (call $lp (i32.and (call $p (i32.const 3)) (i32.const 255))))
    (if (i32.and (i32.load8_u (i32.const 8)) (i32.const 1))
      (then (i32.store (i32.const 48)
        (call_indirect (type $ii) (i32.const 11) (i32.and (i32.load8_u (i32.const 9)) (i32.const 7))))))
    (if (i32.eq (i32.load8_u (i32.const 10)) (i32.const 7))
      (then (call_indirect (type $v) (i32.and (i32.load8_u (i32.const 11)) (i32.const 7)))))
    (call $out (i32.const 32) (i32.const 24))))`;

/** memory.fill / copy / init, data.drop, driven by the parameters (some out of bounds). */
export const BULK = `(module ${HOST}
  (memory 1 2)
  (data $d0 "hello, world! this is a passive data segment, long enough to span leaves.......")
  (data (i32.const 1000) "active")
  (global $x (mut i32) (i32.const 0))
  ${PARAMS}
  (func (export "handle") (local $d i32) (local $s i32) (local $n i32) (local $op i32)
    (call $params)
    (local.set $d (call $p (i32.const 0)))
    (local.set $s (call $p (i32.const 1)))
    (local.set $n (call $p (i32.const 2)))
    (local.set $op (i32.and (call $p (i32.const 3)) (i32.const 7)))
    (global.set $x (i32.add (global.get $x) (i32.const 1)))
    (i32.store (i32.const 20) (global.get $x))
    (block $end
      (block $b4 (block $b3 (block $b2 (block $b1 (block $b0
        (br_table $b0 $b1 $b2 $b3 $b4 (local.get $op)))
        (memory.fill (local.get $d) (local.get $s) (local.get $n)) (br $end))
        (memory.copy (local.get $d) (local.get $s) (local.get $n)) (br $end))
        (memory.init $d0 (local.get $d) (local.get $s) (local.get $n)) (br $end))
        (data.drop $d0) (br $end))
      (memory.copy (local.get $d) (local.get $s) (local.get $n))
      (memory.fill (local.get $s) (i32.const 0xAB) (local.get $n)))
    (call $out (i32.and (local.get $d) (i32.const 0xffc0)) (i32.const 100))))`;

/** memory.grow up to the process limit, writes in new pages, and a trap after growing (restore). */
export const GROW = `(module ${HOST}
  (memory 1)
  (global $total (mut i32) (i32.const 0))
  ${PARAMS}
  (func (export "handle") (local $old i32)
    (call $params)
    (local.set $old (memory.grow (i32.and (call $p (i32.const 0)) (i32.const 7))))
    (global.set $total (i32.add (global.get $total) (local.get $old)))
    (if (i32.ne (local.get $old) (i32.const -1))
      (then (i32.store (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 4)) (call $p (i32.const 1)))))
    (if (i32.and (call $p (i32.const 2)) (i32.const 1)) (then unreachable))
    (i32.store (i32.const 16) (memory.size))
    (i32.store (i32.const 20) (local.get $old))
    (call $out (i32.const 16) (i32.const 8))))`;

/** Recursion to the call-depth limit (1 value under each call) and to the value-stack limit (8). */
export const DEEP = `(module ${HOST}
  (memory 1)
  (global $calls (mut i32) (i32.const 0))
  ${PARAMS}
  (func $rec1 (param i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $rec1 (i32.sub (local.get 0) (i32.const 1)))))))
  (func $rec8 (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else
        (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4) (i32.const 5) (i32.const 6) (i32.const 7)
        (call $rec8 (i32.sub (local.get 0) (i32.const 1)))
        (i32.add) (i32.add) (i32.add) (i32.add) (i32.add) (i32.add) (i32.add))))
  (func (export "handle")
    (call $params)
    (i32.store (i32.const 16) (call $rec1 (i32.and (call $p (i32.const 0)) (i32.const 0x7fff))))
    (i32.store (i32.const 20) (call $rec8 (i32.and (call $p (i32.const 1)) (i32.const 0x3fff))))
    (call $out (i32.const 16) (i32.const 8))))`;

/** Every kind of trap, chosen by p0, after some writes (which the error must undo). */
export const TRAPS = `(module ${HOST}
  (type $ii (func (param i32) (result i32)))
  (table 3 funcref)
  (elem (i32.const 0) $id)
  (memory 1)
  (global $w (mut i64) (i64.const 5))
  ${PARAMS}
  (func $id (type $ii) (local.get 0))
  (func (export "handle") (local $k i32) (local $a i32)
    (call $params)
    (global.set $w (i64.add (global.get $w) (i64.const 1)))
    (i64.store (i32.const 24) (global.get $w))
    (memory.fill (i32.const 100) (i32.const 7) (i32.const 300))
    (local.set $k (i32.and (call $p (i32.const 0)) (i32.const 31)))
    (local.set $a (call $p (i32.const 1)))
    (block $ok (block $t18 (block $t17 (block $t16 (block $t15 (block $t14 (block $t13 (block $t12
      (block $t11 (block $t10 (block $t9 (block $t8 (block $t7 (block $t6 (block $t5 (block $t4
      (block $t3 (block $t2 (block $t1 (block $t0
        (br_table $t0 $t1 $t2 $t3 $t4 $t5 $t6 $t7 $t8 $t9 $t10 $t11 $t12 $t13 $t14 $t15 $t16 $t17 $t18 $ok
          (local.get $k)))
        unreachable)
        (drop (i32.div_s (i32.const 1) (i32.const 0))) (br $ok))
        (drop (i32.div_s (i32.const 0x80000000) (i32.const -1))) (br $ok))
        (drop (i32.rem_u (i32.const 1) (i32.const 0))) (br $ok))
        (drop (i64.div_u (i64.const 1) (i64.const 0))) (br $ok))
        (drop (i64.div_s (i64.const 0x8000000000000000) (i64.const -1))) (br $ok))
        (drop (i64.rem_s (i64.const 0x8000000000000000) (i64.const -1))) (br $ok))
        (drop (i32.load (local.get $a))) (br $ok))
        (i64.store (local.get $a) (i64.const -1)) (br $ok))
        (drop (i64.load (i32.const 65530))) (br $ok))
        (call $read (i32.const 0) (local.get $a) (i32.const 4)) (br $ok))
        (call $read (local.get $a) (i32.const 0) (i32.const 16)) (br $ok))
        (call $out (local.get $a) (i32.const 64)) (br $ok))
        (drop (call_indirect (type $ii) (i32.const 1) (i32.and (local.get $a) (i32.const 3)))) (br $ok))
        (memory.copy (local.get $a) (i32.const 0) (i32.const 64)) (br $ok))
        (drop (i32.load16_s offset=65534 (local.get $a))) (br $ok))
        (i32.store8 offset=65535 (local.get $a) (i32.const 1)) (br $ok))
        (call $send (i32.const 0) (local.get $a)) (br $ok))
        (drop (i32.rem_s (i32.const 0x80000000) (i32.const -1))) (br $ok))
    (call $out (i32.const 20) (i32.const 20))))`;

export const PROGRAMS: Record<string, string> = { COMPUTE, CONTROL, BULK, GROW, DEEP, TRAPS };
