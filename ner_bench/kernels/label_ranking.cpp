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
void emit(const Packed* sorted, int64_t size, int column_bits, int64_t* order, float* group_count) {
    const Packed column_mask = (Packed(1) << column_bits) - 1;
    for (int64_t r = 0; r < size; ++r) {
        const Packed* row = sorted + r * size;
        int64_t* row_order = order + r * size;
        float* row_counts = group_count + r * size;
        float in_group = 0.0f;
        for (int64_t i = 0; i < size; ++i) {
            const int64_t ascending = size - 1 - i;
            const int64_t column = int64_t(row[ascending] & column_mask);
            row_order[i] = column;
            in_group += column == r ? 1.0f : 2.0f;
            const bool group_ends = ascending == 0 || (row[ascending - 1] >> column_bits) != (row[ascending] >> column_bits);
            row_counts[i] = group_ends ? in_group : 0.0f;
            if (group_ends) in_group = 0.0f;
        }
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

// the rows and columns `indices` of a table of dense distance ranks -> keys packed with column_bits
void pack_table_keys(const uint16_t* table, int64_t table_size, const int64_t* indices, int64_t size,
                     int column_bits, uint32_t* packed) {
    for (int64_t r = 0; r < size; ++r) {
        const uint16_t* row = table + indices[r] * table_size;
        for (int64_t j = 0; j < size; ++j)
            packed[r * size + j] = (uint32_t(row[indices[j]]) << column_bits) | uint32_t(j);
    }
}

void emit_ranking_uint64(const uint64_t* sorted, int64_t size, int column_bits, int64_t* order,
                         float* group_count) {
    emit(sorted, size, column_bits, order, group_count);
}

void emit_ranking_uint32(const uint32_t* sorted, int64_t size, int column_bits, int64_t* order,
                         float* group_count) {
    emit(sorted, size, column_bits, order, group_count);
}

}
