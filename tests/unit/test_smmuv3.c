/*
 * Host tests of the SMMUv3 encoders (iommu/smmuv3/smmuv3_ste.c, iommu/smmuv3/smmuv3_events.c) against
 * values worked out by hand from the Arm SMMUv3 specification (IHI 0070): each expected
 * word is written as the sum of its fields, with the bit positions of 5.1 (L1STD), 5.2
 * (STE), 5.4 (CD), chapter 4 (commands), 7.3 (event records) and 6.3 (ID registers).
 *
 * The STE update plans are checked with a model of what the SMMU may observe (3.21.3): it
 * reads an STE 64 bits at a time, in any order, and may hold what it read until a
 * CFGI_STE + CMD_SYNC completes. So between two syncs every word may show any value it had
 * since the last sync, in any combination with the others; every such combination must be
 * the old or the new configuration (or abort), never bypass, never half of one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "iommu/pgtable/pgtable_desc.h"
#include "iommu/smmuv3/smmuv3_ste.h"

/* ---- ID registers ---- */

/*
 * QEMU 10.0.2's SMMU, as read at boot (-trace smmuv3_read_mmio):
 * IDR0 0x0d44101b = bit 0 S2P, bit 1 S1P, bits 3:2 TTF = 0b10 (AArch64), bit 4 COHACC,
 *   bit 12 ASID16, bit 18 VMID16, bits 22:21 TTENDIAN = 0b10 (LE), bits 25:24 STALL_MODEL =
 *   0b01 (terminate only), bit 26 TERM_MODEL, bits 28:27 ST_LEVEL = 0b01 (2-level):
 *   0x1 + 0x2 + 0x8 + 0x10 + 0x1000 + 0x40000 + 0x400000 + 0x1000000 + 0x4000000 + 0x8000000.
 * IDR0 0x0d44101a: the same without S2P (machine virt-9.1).
 * IDR1 0x02730010 = CMDQS 19 << 21 (0x2600000) + EVENTQS 19 << 16 (0x130000) + SIDSIZE 16.
 * IDR3 0x1414 = bit 2 HAD, bit 4 XNX, bit 10 RIL, BBML 2 << 11.
 * IDR5 0x74 = OAS 4 (44 bits), GRAN4K bit 4, GRAN16K bit 5, GRAN64K bit 6. AIDR 1: v3.1.
 */
#define QEMU_IDR0_NESTED 0x0d44101bU
#define QEMU_IDR0_S1 0x0d44101aU
#define QEMU_IDR1 0x02730010U
#define QEMU_IDR3 0x1414U
#define QEMU_IDR5 0x74U

static void decode_qemu(u32 idr0, struct smmu_features *f)
{
	const u32 idr[6] = { idr0, QEMU_IDR1, 0, QEMU_IDR3, 0, QEMU_IDR5 };

	smmu_features_decode(idr, 1, f);
}

static void test_idr_qemu_nested(void **state)
{
	struct smmu_features f;

	decode_qemu(QEMU_IDR0_NESTED, &f);
	assert_true(f.s1);
	assert_true(f.s2);
	assert_true(f.aarch64_tables);
	assert_true(f.le_tables);
	assert_true(f.coherent);
	assert_true(f.two_level);
	assert_true(f.asid16);
	assert_true(f.vmid16);
	assert_false(f.hyp || f.btm || f.ats || f.pri || f.msi || f.sev);
	assert_int_equal(f.stall_model, IDR0_STALL_MODEL_TERM);
	assert_int_equal(f.sid_bits, 16);
	assert_int_equal(f.ssid_bits, 0);
	assert_int_equal(f.cmdq_bits, 19);
	assert_int_equal(f.eventq_bits, 19);
	assert_int_equal(f.priq_bits, 0);
	assert_false(f.queues_preset || f.tables_preset);
	assert_true(f.ril);
	assert_true(f.gran4k && f.gran16k && f.gran64k);
	assert_int_equal(f.oas_enc, 4);
	assert_int_equal(f.oas_bits, 44);
	assert_int_equal(f.minor, 1);
}

static void test_idr_qemu_s1_only(void **state)
{
	struct smmu_features f;

	decode_qemu(QEMU_IDR0_S1, &f);
	assert_true(f.s1);
	assert_false(f.s2);
	assert_true(f.two_level && f.coherent && f.asid16);
}

/* IDR0 0x02616624 = bit 2 (TTF 0b01: AArch32 only, 0x4), bit 5 BTM (0x20), bit 9 HYP
 * (0x200), bit 10 ATS (0x400), bit 13 MSI (0x2000), bit 14 SEV (0x4000), bit 16 PRI
 * (0x10000), bits 22:21 = 0b11 (big-endian, 0x600000), bit 25 (STALL_MODEL 0b10, forced,
 * 0x2000000); ST_LEVEL 0 (linear).
 * IDR1 = 0x60000808: QUEUES_PRESET bit 29, TABLES_PRESET bit 30, PRIQS 1 << 11, SIDSIZE 8.
 * IDR5 0x7 is a reserved OAS encoding. */
static void test_idr_other_features(void **state)
{
	const u32 idr[6] = { 0x02616624U, 0x60000808U, 0, 0, 0, 0x7 };
	struct smmu_features f;

	smmu_features_decode(idr, 2, &f);
	assert_false(f.s1 || f.s2 || f.coherent || f.two_level || f.asid16 || f.vmid16);
	assert_false(f.aarch64_tables);
	assert_false(f.le_tables);
	assert_true(f.hyp && f.btm && f.ats && f.pri && f.msi && f.sev);
	assert_int_equal(f.stall_model, IDR0_STALL_MODEL_STALL);
	assert_true(f.queues_preset && f.tables_preset);
	assert_int_equal(f.priq_bits, 1);
	assert_int_equal(f.sid_bits, 8);
	assert_false(f.ril || f.gran4k);
	assert_int_equal(f.oas_bits, 0);
	assert_int_equal(f.minor, 2);
}

static void test_oas_bits(void **state)
{
	const unsigned want[] = { 32, 36, 40, 42, 44, 48, 52, 0 };

	for (unsigned enc = 0; enc < 8; enc++)
		assert_int_equal(smmu_oas_bits(enc), want[enc]);
}

static void test_idr_describe(void **state)
{
	struct smmu_features f;
	char l1[256], l2[256];

	decode_qemu(QEMU_IDR0_NESTED, &f);
	smmu_features_describe(&f, l1, sizeof(l1), l2, sizeof(l2));
	assert_string_equal(l1, "SMMUv3.1: stage 1+2, AArch64 LE tables, coherent, 16-bit "
				"StreamIDs (2-level stream table), 16-bit ASIDs, 16-bit VMIDs, "
				"granules 4K 16K 64K, OAS 44 bits");
	assert_string_equal(l2, "SMMUv3 queues up to 2^19 commands, 2^19 events, no PRI; range "
				"TLBI yes, SSIDs 0 bits, ATS no, MSI no, SEV no, HYP no, BTM no, "
				"fault model terminate");
	/* The log takes lines of up to 255 characters. */
	assert_true(strlen(l1) < 250 && strlen(l2) < 250);
	decode_qemu(QEMU_IDR0_S1, &f);
	smmu_features_describe(&f, l1, sizeof(l1), l2, sizeof(l2));
	assert_non_null(strstr(l1, "SMMUv3.1: stage 1 only, "));
	/* Truncation is safe. */
	smmu_features_describe(&f, l1, 8, l2, 1);
	assert_string_equal(l1, "SMMUv3.");
	assert_string_equal(l2, "");
}

/* ---- L1 stream table descriptor (5.1) ---- */

static void test_l1std(void **state)
{
	/* Span [4:0] = split + 1 = 9 (2^8 STEs), L2Ptr [51:6] = 0x40010000. */
	assert_int_equal(smmu_l1std(pa(0x40010000), 8), 0x40010009ULL);
	/* Address bits outside [51:6] are not encoded. */
	assert_int_equal(smmu_l1std(pa(0xffff000040010020ULL), 8), 0x000f000040010009ULL);
}

/* ---- STEs (5.2) ---- */

static void assert_words(const u64 *got, const u64 *want, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (got[i] != want[i])
			fail_msg("word %u: got %016llx, want %016llx", i, (unsigned long long)got[i],
				 (unsigned long long)want[i]);
	}
}

static void test_ste_invalid_abort(void **state)
{
	const struct smmu_ste zero = { { 0 } }, abort = { { 0x1 } };
	struct smmu_ste ste;

	memset(&ste, 0xa5, sizeof(ste));
	smmu_ste_invalid(&ste);
	assert_words(ste.data, zero.data, STE_WORDS);
	/* V (bit 0) = 1, Config [3:1] = 0b000. */
	memset(&ste, 0xa5, sizeof(ste));
	smmu_ste_abort(&ste);
	assert_words(ste.data, abort.data, STE_WORDS);
	assert_int_equal(smmu_ste_kind(&zero), SMMU_STE_INVALID);
	assert_int_equal(smmu_ste_kind(&abort), SMMU_STE_ABORT);
}

/*
 * A VM's stage 2 as core/vm/stage2.c makes it: 40-bit IPA, 4 KiB granule, start level 1 with
 * two concatenated root tables, on the 44-bit SMMU (S2PS = 4), VMID 1, coherent.
 * word 0: V 1 + Config 0b110 << 1                                   = 0xd
 * word 1: SHCFG 0b01 (incoming) << 44                               = 0x0000100000000000
 * word 2: S2VMID 1                                                  = 0x1
 *         S2T0SZ 64 - 40 = 24 = 0x18 << 32                          = 0x0000001800000000
 *         S2SL0 2 - 1 = 1 << 38                                     = 0x0000004000000000
 *         S2IR0 0b01 (WBWA) << 40, S2OR0 0b01 << 42                 = 0x0000050000000000
 *         S2SH0 0b11 (inner) << 44                                  = 0x0000300000000000
 *         S2TG 0 (4 KiB); S2PS 4 << 48                              = 0x0004000000000000
 *         S2AA64 bit 51, S2R bit 58                                 = 0x0408000000000000
 *                                                             total = 0x040c355800000001
 * word 3: S2TTB [51:4] = 0x48002000.
 */
static void test_ste_s2(void **state)
{
	struct smmu_s2_cfg c = { .vmid = 1, .ias = 40, .start_level = 1, .ps_enc = 4,
				 .root = pa(0x48002000), .walk = { .coherent = true } };
	const struct smmu_ste want = { { 0xd, 0x0000100000000000ULL, 0x040c355800000001ULL,
					 0x48002000 } };
	/* Non-coherent: S2IR0 = S2OR0 = 0 (non-cacheable), S2SH0 0b10 (outer) << 44:
	 * bits 32..47 hold 0x18 + 0x40 + 0x2000 = 0x2058. */
	const u64 want_nc2 = 0x040c205800000001ULL;
	/* 48-bit IPA from level 0: S2T0SZ 16 (0x10), S2SL0 2 (0x80 in bits 32..47), S2PS 5
	 * (bit 48 + bit 50), VMID 0xffff: bits 32..47 = 0x10 + 0x80 + 0x500 + 0x3000 = 0x3590;
	 * bits 48..63 = 0x0405 + AA64 0x8 = 0x040d. */
	const u64 want_l0 = 0x040d35900000ffffULL;
	struct smmu_ste ste;

	smmu_ste_s2(&ste, &c);
	assert_words(ste.data, want.data, STE_WORDS);
	assert_int_equal(smmu_ste_kind(&ste), SMMU_STE_TRANSLATE);
	c.walk.coherent = false;
	smmu_ste_s2(&ste, &c);
	assert_int_equal(ste.data[2], want_nc2);
	c = (struct smmu_s2_cfg){ .vmid = 0xffff, .ias = 48, .start_level = 0, .ps_enc = 5,
				  .root = pa(0x7ffff000), .walk = { .coherent = true } };
	smmu_ste_s2(&ste, &c);
	assert_int_equal(ste.data[2], want_l0);
	assert_int_equal(ste.data[3], 0x7ffff000);
}

/*
 * Stage 1 through the CD at 0x40001040, coherent:
 * word 0: V 1 + Config 0b101 << 1 = 0xb, S1Fmt 0, S1ContextPtr [51:6] = 0x40001040,
 *         S1CDMax 0                                         = 0x4000104b
 * word 1: S1CIR 0b01 << 2 (0x4) + S1COR 0b01 << 4 (0x10) + S1CSH 0b11 << 6 (0xc0),
 *         STRW 0 (NS-EL1)                                    = 0xd4
 * word 2: S2VMID 0.
 */
static void test_ste_s1(void **state)
{
	struct smmu_s1_cfg c = { .cd = pa(0x40001040), .walk = { .coherent = true } };
	const struct smmu_ste want = { { 0x4000104b, 0xd4 } };
	struct smmu_ste ste;

	smmu_ste_s1(&ste, &c);
	assert_words(ste.data, want.data, STE_WORDS);
	/* Non-coherent: S1CIR = S1COR = 0, S1CSH 0b10 << 6. */
	c.walk.coherent = false;
	smmu_ste_s1(&ste, &c);
	assert_int_equal(ste.data[1], 0x80);
}

/*
 * Nested through the CD at IPA 0xff00000040 over the stage 2 of test_ste_s2's values:
 * word 0: V 1 + Config 0b111 << 1 = 0xf, S1ContextPtr 0xff00000040 = 0xff0000004f
 * word 1: the stage-1 word (0xd4); words 2 and 3: the stage-2 ones, unchanged.
 */
static void test_ste_nested(void **state)
{
	struct smmu_s1_cfg s1 = { .cd = pa(0xff00000040), .walk = { .coherent = true } };
	struct smmu_s2_cfg s2 = { .vmid = 7, .ias = 40, .start_level = 1, .ps_enc = 4,
				  .root = pa(0x48002000), .walk = { true } };
	struct smmu_ste ste, s2only;

	smmu_ste_nested(&ste, &s1, &s2);
	smmu_ste_s2(&s2only, &s2);
	assert_int_equal(ste.data[0], 0xff0000004f);
	assert_int_equal(ste.data[1], 0xd4);
	assert_int_equal(ste.data[2], s2only.data[2]);
	assert_int_equal(ste.data[3], s2only.data[3]);
	assert_int_equal(smmu_ste_kind(&ste), SMMU_STE_TRANSLATE);
}

static void test_ste_kinds_and_used(void **state)
{
	struct smmu_ste ste = { { 0 } };
	u64 used[STE_WORDS];

	/* Config 0b100 bypass; 0b001..0b011 are reserved (ILLEGAL, so C_BAD_STE). */
	ste.data[0] = 0x9;
	assert_int_equal(smmu_ste_kind(&ste), SMMU_STE_BYPASS);
	for (u64 cfg = 1; cfg < 4; cfg++) {
		ste.data[0] = 1 | cfg << 1;
		assert_int_equal(smmu_ste_kind(&ste), SMMU_STE_INVALID);
	}
	ste.data[0] = 0xf; /* 0b111: nested */
	assert_int_equal(smmu_ste_kind(&ste), SMMU_STE_TRANSLATE);
	ste.data[0] = 0x1;
	ste.data[2] = 0x1234;
	smmu_ste_used(&ste, used);
	assert_int_equal(used[0], 0xf);
	for (unsigned i = 1; i < STE_WORDS; i++)
		assert_int_equal(used[i], 0);
	ste.data[0] = 0xd;
	smmu_ste_used(&ste, used);
	for (unsigned i = 0; i < STE_WORDS; i++)
		assert_int_equal(used[i], ~0ULL);
}

/* ---- CD (5.4) ---- */

/*
 * ASID 5, 48-bit input, IPS 4 (44 bits), TTB0 0x40003000, MAIR PGT_S1_MAIR, coherent.
 * word 0, bits 0..31:  T0SZ 16 (0x10) + TG0 0 + IR0 0b01 << 8 (0x100) + OR0 0b01 << 10
 *                      (0x400) + SH0 0b11 << 12 (0x3000) + EPD1 bit 30 + V bit 31
 *                      = 0xc0003510
 *         bits 32..63: IPS 4 (0x4) + AA64 bit 41 (0x200) + R bit 45 (0x2000) + A bit 46
 *                      (0x4000) + ASET bit 47 (0x8000) + ASID 5 << 48 (0x50000)
 *                      = 0x0005e204
 * word 1: TTB0 [51:4]; word 3: MAIR = 0x04ff (attr 0 normal WB 0xff, attr 1 device 0x04).
 */
static void test_cd(void **state)
{
	struct smmu_cd_cfg c = { .asid = 5, .ias = 48, .ips_enc = 4, .ttb0 = pa(0x40003000),
				 .mair = PGT_S1_MAIR, .walk = { .coherent = true } };
	const struct smmu_cd want = { { 0x0005e204c0003510ULL, 0x40003000, 0, 0x04ff } };
	struct smmu_cd cd;

	memset(&cd, 0xa5, sizeof(cd));
	smmu_cd_build(&cd, &c);
	assert_words(cd.data, want.data, CD_WORDS);
	/* 25-bit input: T0SZ 39 (0x27), the largest a 4 KiB granule allows; non-coherent:
	 * IR0 = OR0 = 0, SH0 0b10 << 12 (0x2000). */
	c.ias = 25;
	c.walk.coherent = false;
	smmu_cd_build(&cd, &c);
	assert_int_equal(cd.data[0] & 0xffffffffULL, 0xc0002027ULL);
}

/* ---- Commands (chapter 4) ---- */

static void assert_cmd(const struct smmu_cmd *cmd, u64 w0, u64 w1)
{
	const u64 want[CMD_WORDS] = { w0, w1 };

	assert_words(cmd->data, want, CMD_WORDS);
}

static void test_commands(void **state)
{
	struct smmu_cmd c;

	/* CFGI_STE: opcode 0x03 [7:0], StreamID [63:32]; word 1 Leaf bit 0. */
	smmu_cmd_cfgi_ste(&c, 0x10, true);
	assert_cmd(&c, 0x0000001000000003ULL, 1);
	smmu_cmd_cfgi_ste(&c, 0xffffffff, false);
	assert_cmd(&c, 0xffffffff00000003ULL, 0);
	/* CFGI_STE_RANGE 0x04: Range [4:0] in word 1; CFGI_ALL = Range 31. */
	smmu_cmd_cfgi_ste_range(&c, 0x100, 7);
	assert_cmd(&c, 0x0000010000000004ULL, 7);
	smmu_cmd_cfgi_all(&c);
	assert_cmd(&c, 0x4, 0x1f);
	/* CFGI_CD 0x05: SubstreamID [31:12]. */
	smmu_cmd_cfgi_cd(&c, 0x10, 0, true);
	assert_cmd(&c, 0x0000001000000005ULL, 1);
	smmu_cmd_cfgi_cd(&c, 0x10, 0xabcde, false);
	assert_cmd(&c, 0x00000010abcde005ULL, 0);
	/* TLBI_NH_ASID 0x11: VMID [47:32], ASID [63:48]. */
	smmu_cmd_tlbi_nh_asid(&c, 0, 5);
	assert_cmd(&c, 0x0005000000000011ULL, 0);
	smmu_cmd_tlbi_nh_asid(&c, 0x1234, 0xffff);
	assert_cmd(&c, 0xffff123400000011ULL, 0);
	/* TLBI_S12_VMALL 0x28, TLBI_NSNH_ALL 0x30, TLBI_EL2_ALL 0x20. */
	smmu_cmd_tlbi_s12_vmall(&c, 3);
	assert_cmd(&c, 0x0000000300000028ULL, 0);
	smmu_cmd_tlbi_nsnh_all(&c);
	assert_cmd(&c, 0x30, 0);
	smmu_cmd_tlbi_el2_all(&c);
	assert_cmd(&c, 0x20, 0);
	/* CMD_SYNC 0x46: CS [13:12] (0 none, 1 IRQ, 2 SEV); no MSI. */
	smmu_cmd_sync(&c, CMD_SYNC_CS_NONE);
	assert_cmd(&c, 0x46, 0);
	smmu_cmd_sync(&c, CMD_SYNC_CS_SEV);
	assert_cmd(&c, 0x2046, 0);
	/* PRI_RESP 0x41: SSV bit 11, SSID [31:12], SID [63:32]; PRGI [8:0], Resp [13:12]. */
	smmu_cmd_pri_resp(&c, 0x20, false, 0, 3, CMD_PRI_RESP_DENY);
	assert_cmd(&c, 0x0000002000000041ULL, 3);
	smmu_cmd_pri_resp(&c, 0x20, true, 7, 0x1ff, 2);
	assert_cmd(&c, 0x0000002000007841ULL, 0x21ff);
}

/* TLBI by address: word 0 NUM [16:12], SCALE [24:20], VMID [47:32], ASID [63:48] (NH_VA);
 * word 1 Leaf bit 0, TTL [9:8], TG [11:10], address [63:12] (VA) or [51:12] (IPA). */
static void test_tlbi_by_address(void **state)
{
	struct smmu_tlbi_req r = { .stage2 = true, .vmid = 1, .addr = 0x80000000,
				   .size = 0x21000, .leaf = true, .range = true };
	struct smmu_cmd c[16];

	/* 33 pages = 0b100001: 1 page (NUM 0, SCALE 0), then 32 pages (NUM 0, SCALE 5:
	 * 5 << 20 = 0x500000) from 0x80001000. TG 1 (4 KiB) << 10 = 0x400, Leaf 1. */
	assert_int_equal(smmu_cmd_tlbi_range(c, 16, &r), 2);
	assert_cmd(&c[0], 0x000000010000002aULL, 0x80000401ULL);
	assert_cmd(&c[1], 0x000000010050002aULL, 0x80001401ULL);
	/* 31 pages: one command, NUM 30 (0x1e << 12 = 0x1e000), SCALE 0. */
	r.size = 31 * 0x1000ULL;
	assert_int_equal(smmu_cmd_tlbi_range(c, 16, &r), 1);
	assert_cmd(&c[0], 0x000000010001e02aULL, 0x80000401ULL);
	/* The whole 48-bit space, 2^36 pages: NUM 31 (0x1f000), SCALE 31 (0x1f00000). */
	r.addr = 0;
	r.size = 1ULL << 48;
	assert_int_equal(smmu_cmd_tlbi_range(c, 16, &r), 1);
	assert_cmd(&c[0], 0x0000000101f1f02aULL, 0x401);
	/* Without RIL: one single-address command (TG 0) per page. */
	r = (struct smmu_tlbi_req){ .stage2 = true, .vmid = 1, .addr = 0x80000000,
				    .size = 0x3000, .leaf = true };
	assert_int_equal(smmu_cmd_tlbi_range(c, 16, &r), 3);
	assert_cmd(&c[0], 0x000000010000002aULL, 0x80000001ULL);
	assert_cmd(&c[1], 0x000000010000002aULL, 0x80001001ULL);
	assert_cmd(&c[2], 0x000000010000002aULL, 0x80002001ULL);
	/* More than max: 0, so the caller invalidates the VMID instead. */
	r.size = 17 * 0x1000ULL;
	assert_int_equal(smmu_cmd_tlbi_range(c, 16, &r), 0);
	/* Stage 1: TLBI_NH_VA 0x12, ASID 7, VA bits above 51 kept; not leaf. */
	r = (struct smmu_tlbi_req){ .asid = 7, .addr = 0xffff000001234000ULL, .size = 0x1000 };
	assert_int_equal(smmu_cmd_tlbi_range(c, 16, &r), 1);
	assert_cmd(&c[0], 0x0007000000000012ULL, 0xffff000001234000ULL);
	/* The IPA field stops at bit 51. */
	r = (struct smmu_tlbi_req){ .stage2 = true, .addr = 0xfff0000000001000ULL, .size = 0x1000 };
	assert_int_equal(smmu_cmd_tlbi_range(c, 16, &r), 1);
	assert_int_equal(c[0].data[1], 0x1000);
}

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Range commands tile [addr, addr + size) exactly, in order, with legal NUM and SCALE. */
static void test_tlbi_range_tiles(void **state)
{
	struct smmu_cmd c[16];

	for (unsigned iter = 0; iter < 20000; iter++) {
		unsigned bits = 1 + (unsigned)(rng() % 36);
		u64 pages = 1 + rng() % (1ULL << bits); /* 1 .. 2^36 pages */
		struct smmu_tlbi_req r = { .stage2 = iter & 1, .vmid = 3, .asid = 9,
					   .addr = (rng() % ((1ULL << 36) - pages + 1)) << 12,
					   .size = pages << 12, .range = true };
		unsigned n = smmu_cmd_tlbi_range(c, 16, &r);
		u64 at = r.addr, covered = 0;

		assert_in_range(n, 1, 8); /* five bits of the count per command */
		for (unsigned i = 0; i < n; i++) {
			u64 num = FIELD_GET(CMD_TLBI_0_NUM, c[i].data[0]);
			u64 scale = FIELD_GET(CMD_TLBI_0_SCALE, c[i].data[0]);
			u64 span = (num + 1) << scale;

			assert_int_equal(FIELD_GET(CMD_TLBI_1_TG, c[i].data[1]), CMD_TLBI_TG_4K);
			assert_int_equal(c[i].data[1] & (r.stage2 ? CMD_TLBI_1_IPA : CMD_TLBI_1_VA),
					 at);
			assert_int_equal(FIELD_GET(CMD_TLBI_0_VMID, c[i].data[0]), 3);
			at += span << 12;
			covered += span;
		}
		assert_int_equal(covered, pages);
	}
}

/* ---- STE update plans (3.21.3) ---- */

struct view {
	u64 vals[STE_WORDS][8];
	unsigned n[STE_WORDS];
};

static void view_reset(struct view *v, const struct smmu_ste *ste)
{
	for (unsigned w = 0; w < STE_WORDS; w++) {
		v->vals[w][0] = ste->data[w];
		v->n[w] = 1;
	}
}

static void view_add(struct view *v, const struct smmu_ste *ste)
{
	for (unsigned w = 0; w < STE_WORDS; w++) {
		bool seen = false;

		for (unsigned i = 0; i < v->n[w]; i++)
			seen = seen || v->vals[w][i] == ste->data[w];
		if (!seen) {
			assert_true(v->n[w] < 8);
			v->vals[w][v->n[w]++] = ste->data[w];
		}
	}
}

/* What the SMMU does with an STE: its kind and the bits it reads. */
static bool same_config(const struct smmu_ste *a, const struct smmu_ste *b)
{
	u64 ua[STE_WORDS], ub[STE_WORDS];

	smmu_ste_used(a, ua);
	smmu_ste_used(b, ub);
	for (unsigned w = 0; w < STE_WORDS; w++)
		if (ua[w] != ub[w] || (a->data[w] & ua[w]) != (b->data[w] & ub[w]))
			return false;
	return true;
}

struct allowed {
	const struct smmu_ste *cfg;
	unsigned n;
	bool invalid_ok;
	unsigned combos;
};

static void check_combos(const struct view *v, struct allowed *a, struct smmu_ste *combo,
			 unsigned w)
{
	bool ok = false;

	if (w < STE_WORDS) {
		for (unsigned i = 0; i < v->n[w]; i++) {
			combo->data[w] = v->vals[w][i];
			check_combos(v, a, combo, w + 1);
		}
		return;
	}
	a->combos++;
	assert_int_not_equal(smmu_ste_kind(combo), SMMU_STE_BYPASS);
	if (!a->invalid_ok)
		assert_int_not_equal(smmu_ste_kind(combo), SMMU_STE_INVALID);
	for (unsigned i = 0; i < a->n; i++)
		ok = ok || same_config(combo, &a->cfg[i]);
	if (!ok)
		fail_msg("the SMMU could see a mixed STE %016llx %016llx %016llx %016llx",
			 (unsigned long long)combo->data[0], (unsigned long long)combo->data[1],
			 (unsigned long long)combo->data[2], (unsigned long long)combo->data[3]);
}

/*
 * Carry out the plan from *cur to tgt as the driver does, checking after every step each
 * STE the SMMU could observe. v carries what the SMMU may still see from before (unsynced
 * writes of the previous plan). Returns the syncs used; *cur ends as tgt.
 */
static unsigned run_plan(struct smmu_ste *cur, const struct smmu_ste *tgt, struct view *v)
{
	struct smmu_ste_step steps[SMMU_STE_MAX_STEPS];
	struct smmu_ste cfgs[3] = { *cur, *tgt }, combo;
	struct allowed a = { cfgs, 3, false, 0 };
	unsigned n = smmu_ste_update_plan(cur, tgt, steps), syncs = 0, last_sync = 0;

	smmu_ste_abort(&cfgs[2]);
	a.invalid_ok = smmu_ste_kind(cur) == SMMU_STE_INVALID || smmu_ste_kind(tgt) == SMMU_STE_INVALID;
	assert_in_range(n, 0, SMMU_STE_MAX_STEPS);
	for (unsigned i = 0; i < n; i++) {
		/* Each step changes either word 0 alone, or only words the STE the SMMU
		 * currently acts on ignores. */
		u64 used[STE_WORDS];
		bool w0 = steps[i].ste.data[0] != cur->data[0], others = false;

		smmu_ste_used(cur, used);
		for (unsigned w = 1; w < STE_WORDS; w++)
			others = others || ((steps[i].ste.data[w] ^ cur->data[w]) & used[w]);
		assert_false(w0 && others);
		/* A prep step comes just before the step that turns a translating STE on. */
		if (steps[i].prep) {
			assert_int_equal(smmu_ste_kind(tgt), SMMU_STE_TRANSLATE);
			assert_true(steps[i].sync);
			assert_int_equal(i, n - 2);
		}
		*cur = steps[i].ste;
		view_add(v, cur);
		check_combos(v, &a, &combo, 0);
		if (steps[i].sync) {
			syncs++;
			last_sync = i + 1;
			view_reset(v, cur);
		}
	}
	assert_words(cur->data, tgt->data, STE_WORDS);
	/* After the last sync the SMMU acts on the target (later steps only tidy). */
	if (n) {
		assert_true(last_sync > 0);
		assert_true(same_config(&steps[last_sync - 1].ste, tgt));
	}
	return syncs;
}

enum { INV, ABT, S2A, S2B, S2NC, S1A, S1B, N1A, N1B, N_STES };

static void make_stes(struct smmu_ste s[N_STES])
{
	struct smmu_s2_cfg s2 = { .vmid = 1, .ias = 40, .start_level = 1, .ps_enc = 4,
				  .root = pa(0x48002000), .walk = { true } };
	struct smmu_s1_cfg s1 = { .cd = pa(0x40001040), .walk = { true } };

	smmu_ste_invalid(&s[INV]);
	smmu_ste_abort(&s[ABT]);
	smmu_ste_s2(&s[S2A], &s2);
	s2.vmid = 2;
	s2.root = pa(0x48010000);
	smmu_ste_s2(&s[S2B], &s2);
	s2.walk.coherent = false;
	smmu_ste_s2(&s[S2NC], &s2);
	smmu_ste_s1(&s[S1A], &s1);
	s1.cd = pa(0x40001080);
	smmu_ste_s1(&s[S1B], &s1);
	smmu_ste_nested(&s[N1A], &s1, &s2);
	s1.cd = pa(0x400010c0);
	smmu_ste_nested(&s[N1B], &s1, &s2);
}

/* Syncs per transition: entering translation takes two (the new STE's other words, then
 * word 0); leaving it one; translating to translating three (through abort), but one when
 * only word 0 differs and Config stays (another CD over the same stage 2). */
static void test_plan_syncs(void **state)
{
	static const struct { unsigned from, to, syncs; } cases[] = {
		{ INV, ABT, 1 }, { INV, S2A, 2 }, { ABT, S2A, 2 }, { ABT, S1A, 2 },
		{ S2A, ABT, 1 }, { S1A, ABT, 1 }, { S2A, S2B, 3 }, { S2A, S1A, 3 },
		{ S1A, S1B, 1 }, { S2B, S2NC, 3 }, { ABT, ABT, 0 }, { S2A, S2A, 0 },
		{ S2A, INV, 1 }, { ABT, INV, 1 }, { N1A, N1B, 1 }, { N1B, N1A, 1 },
		{ S2NC, N1A, 3 }, { N1A, S2NC, 3 }, { S1A, N1A, 3 }, { ABT, N1A, 2 },
	};
	struct smmu_ste s[N_STES], cur;
	struct view v;

	make_stes(s);
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		cur = s[cases[i].from];
		view_reset(&v, &cur);
		if (run_plan(&cur, &s[cases[i].to], &v) != cases[i].syncs)
			fail_msg("case %u: %u -> %u", i, cases[i].from, cases[i].to);
	}
}

/* Every ordered pair, and long random sequences, keeping what the SMMU may still see
 * across plans: no observable STE is ever bypass, torn, or (between two valid STEs)
 * invalid. */
static void test_plan_never_torn(void **state)
{
	struct smmu_ste s[N_STES], cur;
	struct view v;

	make_stes(s);
	for (unsigned from = 0; from < N_STES; from++) {
		for (unsigned to = 0; to < N_STES; to++) {
			cur = s[from];
			view_reset(&v, &cur);
			run_plan(&cur, &s[to], &v);
		}
	}
	cur = s[INV];
	view_reset(&v, &cur);
	for (unsigned i = 0; i < 2000; i++)
		run_plan(&cur, &s[rng() % N_STES], &v);
}

/* A device's life: unconfigured -> abort -> translating -> abort, never through bypass;
 * what each transition costs. */
static void test_plan_device_life(void **state)
{
	struct smmu_ste s[N_STES], cur;
	struct view v;

	make_stes(s);
	cur = s[INV];
	view_reset(&v, &cur);
	assert_int_equal(run_plan(&cur, &s[ABT], &v), 1);
	assert_int_equal(run_plan(&cur, &s[S2A], &v), 2);
	assert_int_equal(run_plan(&cur, &s[ABT], &v), 1);
	assert_int_equal(run_plan(&cur, &s[S1A], &v), 2);
	assert_int_equal(run_plan(&cur, &s[ABT], &v), 1);
}

/* ---- Event records (7.3) ---- */

static void test_event_translation_s2(void **state)
{
	/* F_TRANSLATION (0x10) from StreamID 0x18: word 0 = 0x10 + 0x18 << 32; word 1: RnW 0
	 * (a write), S2 bit 39 (0x80 << 32), CLASS 0b10 (input address) << 40 (0x200 << 32);
	 * word 2 the input address; word 3 the IPA [51:12]. */
	const struct smmu_evt raw = { { 0x0000001800000010ULL, 0x0000028000000000ULL, 0x80001234,
					0x80001000 } };
	struct smmu_event ev;
	char line[160];

	smmu_event_decode(&raw, &ev);
	assert_int_equal(ev.type, EVT_F_TRANSLATION);
	assert_string_equal(ev.name, "F_TRANSLATION");
	assert_int_equal(ev.sid, 0x18);
	assert_false(ev.ssv);
	assert_int_equal(ev.flags, SMMU_EVF_ADDR | SMMU_EVF_ACCESS | SMMU_EVF_WRITE | SMMU_EVF_S2 |
					   SMMU_EVF_CLASS | SMMU_EVF_IPA);
	assert_int_equal(ev.addr, 0x80001234);
	assert_int_equal(ev.ipa, 0x80001000);
	assert_int_equal(ev.cls, EVT_CLASS_IN);
	assert_memory_equal(&ev.raw, &raw, sizeof(raw));
	smmu_event_format(&ev, line, sizeof(line));
	assert_string_equal(line, "F_TRANSLATION (0x10) sid 18 write at 80001234, stage 2 input "
				  "address, IPA 80001000");
}

static void test_event_permission_s1(void **state)
{
	/* F_PERMISSION (0x13), SID 8, SSV bit 11 with SubstreamID 3 << 12: word 0 =
	 * 0x13 + 0x800 + 0x3000 + 8 << 32; word 1: RnW bit 35 (read) + PnU bit 33 + InD bit 34
	 * (0xe << 32), CLASS 0b01 (table walk) << 40, S2 0; word 3 garbage that stage 1 leaves
	 * unreported. */
	const struct smmu_evt raw = { { 0x0000000800003813ULL, 0x0000010e00000000ULL,
					0xffff000012345678ULL, 0xdead000 } };
	struct smmu_event ev;
	char line[160];

	smmu_event_decode(&raw, &ev);
	assert_int_equal(ev.flags, SMMU_EVF_ADDR | SMMU_EVF_ACCESS | SMMU_EVF_PRIV | SMMU_EVF_INSTR |
					   SMMU_EVF_CLASS);
	assert_true(ev.ssv);
	assert_int_equal(ev.ssid, 3);
	assert_int_equal(ev.addr, 0xffff000012345678ULL);
	assert_int_equal(ev.ipa, 0);
	smmu_event_format(&ev, line, sizeof(line));
	assert_string_equal(line, "F_PERMISSION (0x13) sid 8 ssid 3 read priv instr at "
				  "ffff000012345678, stage 1 table walk");
}

static void test_event_others(void **state)
{
	/* C_BAD_STE (0x04) and C_BAD_STREAMID (0x02) carry the StreamID only. */
	const struct smmu_evt bad_ste = { { 0x0000001000000004ULL, ~0ULL, ~0ULL, ~0ULL } };
	/* F_STE_FETCH (0x03): FetchAddr [51:3] in word 3. */
	const struct smmu_evt fetch = { { 0x0000002000000003ULL, 0, 0, 0xfff0000040000008ULL } };
	/* F_WALK_EABT (0x0b): input address, S2, CLASS, and the fetch address. */
	const struct smmu_evt walk = { { 0xb, 0x0000018000000000ULL, 0x5000, 0x48000ff8 } };
	struct smmu_event ev;
	char line[160];

	smmu_event_decode(&bad_ste, &ev);
	assert_string_equal(ev.name, "C_BAD_STE");
	assert_int_equal(ev.sid, 0x10);
	assert_int_equal(ev.flags, 0);
	smmu_event_format(&ev, line, sizeof(line));
	assert_string_equal(line, "C_BAD_STE (0x04) sid 10");
	smmu_event_decode(&fetch, &ev);
	assert_int_equal(ev.flags, SMMU_EVF_FETCH);
	assert_int_equal(ev.fetch, 0x40000008);
	smmu_event_format(&ev, line, sizeof(line));
	assert_string_equal(line, "F_STE_FETCH (0x03) sid 20, fetching 40000008");
	smmu_event_decode(&walk, &ev);
	assert_int_equal(ev.flags, SMMU_EVF_ADDR | SMMU_EVF_ACCESS | SMMU_EVF_WRITE | SMMU_EVF_S2 |
					   SMMU_EVF_CLASS | SMMU_EVF_FETCH);
	assert_int_equal(ev.cls, EVT_CLASS_TT);
	assert_int_equal(ev.fetch, 0x48000ff8);
	/* Formatting into a short buffer truncates and reports the full length. */
	assert_int_equal(smmu_event_format(&ev, line, 8), (int)strlen("F_WALK_EABT (0x0b) sid 0 "
								      "write at 5000, stage 2 table "
								      "walk, fetching 48000ff8"));
	assert_string_equal(line, "F_WALK_");
}

static void test_event_names(void **state)
{
	static const struct { unsigned type; const char *name; } names[] = {
		{ 0x01, "F_UUT" }, { 0x02, "C_BAD_STREAMID" }, { 0x03, "F_STE_FETCH" },
		{ 0x04, "C_BAD_STE" }, { 0x05, "F_BAD_ATS_TREQ" }, { 0x06, "F_STREAM_DISABLED" },
		{ 0x07, "F_TRANSL_FORBIDDEN" }, { 0x08, "C_BAD_SUBSTREAMID" },
		{ 0x09, "F_CD_FETCH" }, { 0x0a, "C_BAD_CD" }, { 0x0b, "F_WALK_EABT" },
		{ 0x10, "F_TRANSLATION" }, { 0x11, "F_ADDR_SIZE" }, { 0x12, "F_ACCESS" },
		{ 0x13, "F_PERMISSION" }, { 0x20, "F_TLB_CONFLICT" }, { 0x21, "F_CFG_CONFLICT" },
		{ 0x24, "E_PAGE_REQUEST" }, { 0x25, "F_VMS_FETCH" }, { 0xe0, "IMPDEF" },
		{ 0xef, "IMPDEF" }, { 0x00, "reserved" }, { 0x0c, "reserved" }, { 0xf0, "reserved" },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		assert_string_equal(smmu_event_name(names[i].type), names[i].name);
}

static void test_error_names(void **state)
{
	assert_string_equal(smmu_cmd_name(CMD_OP_TLBI_S2_IPA), "TLBI_S2_IPA");
	assert_string_equal(smmu_cmd_name(CMD_OP_SYNC), "CMD_SYNC");
	assert_string_equal(smmu_cmd_name(0x7f), "unknown");
	assert_string_equal(smmu_cerror_name(CMDQ_CERROR_ILL), "CERROR_ILL (illegal command)");
	assert_non_null(strstr(smmu_cerror_name(CMDQ_CERROR_ABT), "CERROR_ABT"));
	assert_non_null(strstr(smmu_cerror_name(CMDQ_CERROR_ATC_INV_SYNC), "ATC_INV_SYNC"));
	assert_string_equal(smmu_cerror_name(4), "reserved");
	assert_non_null(strstr(smmu_gerror_name(GERROR_SFM_ERR), "SFM_ERR"));
	assert_non_null(strstr(smmu_gerror_name(GERROR_EVENTQ_ABT_ERR), "EVENTQ_ABT_ERR"));
	assert_string_equal(smmu_gerror_name(BIT(1)), "reserved");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idr_qemu_nested),
		cmocka_unit_test(test_idr_qemu_s1_only),
		cmocka_unit_test(test_idr_other_features),
		cmocka_unit_test(test_oas_bits),
		cmocka_unit_test(test_idr_describe),
		cmocka_unit_test(test_l1std),
		cmocka_unit_test(test_ste_invalid_abort),
		cmocka_unit_test(test_ste_s2),
		cmocka_unit_test(test_ste_s1),
		cmocka_unit_test(test_ste_nested),
		cmocka_unit_test(test_ste_kinds_and_used),
		cmocka_unit_test(test_cd),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_tlbi_by_address),
		cmocka_unit_test(test_tlbi_range_tiles),
		cmocka_unit_test(test_plan_syncs),
		cmocka_unit_test(test_plan_never_torn),
		cmocka_unit_test(test_plan_device_life),
		cmocka_unit_test(test_event_translation_s2),
		cmocka_unit_test(test_event_permission_s1),
		cmocka_unit_test(test_event_others),
		cmocka_unit_test(test_event_names),
		cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
