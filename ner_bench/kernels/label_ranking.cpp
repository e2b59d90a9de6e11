// The label side of the NER loss around NumPy's vectorised sort: packing each row's keys with their
// column, and reading the sorted rows back as a far-to-near order with tie groups.
//
// A packed key is (distance key << column_bits) | column, so that sorting a row ascending sorts it by
// distance, ties by column. The distance key is a non-negative float's bit pattern (which orders like
// the float) or a dense rank from a table. group_count[r, i] is the number of items (two per label
// column, one in the anchor's own column) in the tie group that ends at far-to-near position i, and 0
// inside a group, as label_ranking._group_counts computes it.

#include <cstdint>

namespace {

template <typename Packed>
void emit(const Packed* sorted, int64_t size, int column_bits, int32_t* order, float* group_count) {
    const Packed column_mask = (Packed(1) << column_bits) - 1;
    for (int64_t r = 0; r < size; ++r) {
        const Packed* __restrict__ row = sorted + r * size;
        int32_t* __restrict__ row_order = order + r * size;
        float* __restrict__ counts = group_count + r * size;
        // far-to-near position i is ascending position size - 1 - i; a group ends at i unless the next
        // position (ascending position size - 2 - i) holds the same distance
        for (int64_t i = 0; i < size; ++i) {
            const Packed key = row[size - 1 - i];
            row_order[i] = int32_t(key & column_mask);
            counts[i] = int32_t(key & column_mask) == r ? 1.0f : 2.0f;
        }
        float in_group = 0.0f;  // items of a group of ties carried to its last position
        for (int64_t i = 0; i + 1 < size; ++i) {
            const bool tied = (row[size - 1 - i] >> column_bits) == (row[size - 2 - i] >> column_bits);
            if (tied) {
                in_group += counts[i];
                counts[i] = 0.0f;
            } else if (in_group != 0.0f) {
                counts[i] += in_group;
                in_group = 0.0f;
            }
        }
        counts[size - 1] += in_group;
    }
}

}  // namespace

extern "C" {

// (size, size) float32 distances read as uint32 -> keys packed with 32 column bits
void pack_distance_keys(const uint32_t* bits, int64_t size, uint64_t* packed) {
    for (int64_t r = 0; r < size; ++r)
        for (int64_t j = 0; j < size; ++j)
            packed[r * size + j] = (uint64_t(bits[r * size + j]) << 32) | uint64_t(j);
}

// the rows and columns `indices` of a table of dense distance ranks -> keys packed with column_bits.
// `ascending` lists the batch's columns by increasing table index, so that each table row is read front
// to back (the rows are large; read in the batch's random order they miss the cache at every column)
void pack_table_keys(const uint16_t* table, int64_t table_size, const int64_t* indices,
                     const int64_t* ascending, int64_t size, int column_bits, uint32_t* packed) {
    for (int64_t r = 0; r < size; ++r) {
        const uint16_t* row = table + indices[r] * table_size;
        uint32_t* out = packed + r * size;
        for (int64_t t = 0; t < size; ++t) {
            const int64_t j = ascending[t];
            out[j] = (uint32_t(row[indices[j]]) << column_bits) | uint32_t(j);
        }
    }
}

void emit_ranking_uint64(const uint64_t* sorted, int64_t size, int column_bits, int32_t* order,
                         float* group_count) {
    emit(sorted, size, column_bits, order, group_count);
}

void emit_ranking_uint32(const uint32_t* sorted, int64_t size, int column_bits, int32_t* order,
                         float* group_count) {
    emit(sorted, size, column_bits, order, group_count);
}

}
