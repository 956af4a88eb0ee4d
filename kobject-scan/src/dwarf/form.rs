//! Attribute forms: their sizes, skipping them, and decoding the attributes the scanner reads
//! into gimli's `AttributeValue`, exactly as gimli's own DIE reader would (the tests compare
//! the two for every form). Decoding here rather than through a gimli cursor per DIE is what
//! makes reading a variable or a type DIE cheap.

use gimli::{constants, AttributeSpecification, AttributeValue, Encoding, Format, Reader as _};

use super::Reader;

/// Size of `form` when it does not depend on the data.
pub fn fixed_size(form: constants::DwForm, encoding: Encoding) -> Option<u8> {
    Some(match form {
        constants::DW_FORM_addr => encoding.address_size,
        constants::DW_FORM_implicit_const | constants::DW_FORM_flag_present => 0,
        constants::DW_FORM_data1
        | constants::DW_FORM_flag
        | constants::DW_FORM_strx1
        | constants::DW_FORM_ref1
        | constants::DW_FORM_addrx1 => 1,
        constants::DW_FORM_data2
        | constants::DW_FORM_ref2
        | constants::DW_FORM_addrx2
        | constants::DW_FORM_strx2 => 2,
        constants::DW_FORM_addrx3 | constants::DW_FORM_strx3 => 3,
        constants::DW_FORM_data4
        | constants::DW_FORM_ref_sup4
        | constants::DW_FORM_ref4
        | constants::DW_FORM_strx4
        | constants::DW_FORM_addrx4 => 4,
        constants::DW_FORM_data8
        | constants::DW_FORM_ref8
        | constants::DW_FORM_ref_sig8
        | constants::DW_FORM_ref_sup8 => 8,
        constants::DW_FORM_data16 => 16,
        constants::DW_FORM_sec_offset
        | constants::DW_FORM_GNU_ref_alt
        | constants::DW_FORM_strp
        | constants::DW_FORM_strp_sup
        | constants::DW_FORM_GNU_strp_alt
        | constants::DW_FORM_line_strp => encoding.format.word_size(),
        // DWARF 2 made it address-sized; DWARF 3 an offset.
        constants::DW_FORM_ref_addr if encoding.version == 2 => encoding.address_size,
        constants::DW_FORM_ref_addr => encoding.format.word_size(),
        _ => return None,
    })
}

/// Skips an attribute nobody reads. Fixed sizes only add to `pending`, so that a run of them
/// costs one skip, made before the next variable-size form or the next attribute read.
pub fn skip_unread(
    input: &mut Reader<'_>,
    pending: &mut usize,
    fixed_size: Option<u8>,
    form: constants::DwForm,
    encoding: Encoding,
) -> gimli::Result<()> {
    match fixed_size {
        Some(size) => *pending += usize::from(size),
        None => {
            input.skip(*pending)?;
            *pending = 0;
            skip_variable(input, form, encoding)?;
        }
    }
    Ok(())
}

/// Skip one attribute of a form without a fixed size.
pub fn skip_variable(
    input: &mut Reader<'_>,
    mut form: constants::DwForm,
    encoding: Encoding,
) -> gimli::Result<()> {
    loop {
        // The variable forms first: callers only come here for those (or through
        // `DW_FORM_indirect`), so the fixed-size check is the fallback.
        let len = match form {
            constants::DW_FORM_indirect => {
                form = constants::DwForm(input.read_uleb128_u16()?);
                continue;
            }
            constants::DW_FORM_block1 => usize::from(input.read_u8()?),
            constants::DW_FORM_block2 => usize::from(input.read_u16()?),
            constants::DW_FORM_block4 => input.read_u32()? as usize,
            constants::DW_FORM_block | constants::DW_FORM_exprloc => block_length(uleb128(input)?)?,
            constants::DW_FORM_string => {
                input.read_null_terminated_slice()?;
                return Ok(());
            }
            constants::DW_FORM_udata
            | constants::DW_FORM_sdata
            | constants::DW_FORM_ref_udata
            | constants::DW_FORM_strx
            | constants::DW_FORM_GNU_str_index
            | constants::DW_FORM_addrx
            | constants::DW_FORM_GNU_addr_index
            | constants::DW_FORM_loclistx
            | constants::DW_FORM_rnglistx => return input.skip_leb128(),
            _ => match fixed_size(form, encoding) {
                Some(size) => usize::from(size),
                None => return Err(gimli::Error::UnknownForm(form)),
            },
        };
        return input.skip(len);
    }
}

/// [`skip_variable`] on raw bytes for the forms compilers use: the offset past the attribute
/// at `pos`. `None` for other forms and for an attribute that runs past the end.
#[inline]
pub fn skip_variable_raw(bytes: &[u8], pos: usize, form: constants::DwForm) -> Option<usize> {
    match form {
        constants::DW_FORM_exprloc | constants::DW_FORM_block => {
            let (len, after) = uleb128_raw(bytes, pos)?;
            let end = after.checked_add(usize::try_from(len).ok()?)?;
            (end <= bytes.len()).then_some(end)
        }
        constants::DW_FORM_block1 => {
            let end = pos.checked_add(1 + usize::from(*bytes.get(pos)?))?;
            (end <= bytes.len()).then_some(end)
        }
        constants::DW_FORM_string => {
            let rest = bytes.get(pos..)?;
            rest.iter().position(|&b| b == 0).map(|nul| pos + nul + 1)
        }
        constants::DW_FORM_udata
        | constants::DW_FORM_sdata
        | constants::DW_FORM_ref_udata
        | constants::DW_FORM_strx
        | constants::DW_FORM_addrx
        | constants::DW_FORM_loclistx
        | constants::DW_FORM_rnglistx => {
            // A LEB128 number ends at its first byte below 0x80.
            let rest = bytes.get(pos..)?;
            rest.iter().position(|&b| b < 0x80).map(|last| pos + last + 1)
        }
        _ => None,
    }
}

/// An unsigned number of 1, 2, 4 or 8 bytes.
#[inline]
pub fn uint_raw(bytes: &[u8], endian: gimli::RunTimeEndian) -> Option<u64> {
    let big = endian == gimli::RunTimeEndian::Big;
    Some(match bytes.len() {
        1 => u64::from(*bytes.first()?),
        2 => {
            let b = <[u8; 2]>::try_from(bytes).ok()?;
            u64::from(if big { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
        }
        4 => {
            let b = <[u8; 4]>::try_from(bytes).ok()?;
            u64::from(if big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
        }
        8 => {
            let b = <[u8; 8]>::try_from(bytes).ok()?;
            if big {
                u64::from_be_bytes(b)
            } else {
                u64::from_le_bytes(b)
            }
        }
        _ => return None,
    })
}

/// An unsigned LEB128 number at `pos` in `bytes` that fits 64 bits, and the offset after it.
/// Nearly all are one byte, read here; the loop for longer ones is kept out of line so that
/// this stays small enough to inline into the walk.
#[inline]
pub fn uleb128_raw(bytes: &[u8], pos: usize) -> Option<(u64, usize)> {
    match bytes.get(pos) {
        Some(&first) if first < 0x80 => Some((u64::from(first), pos + 1)),
        _ => uleb128_raw_long(bytes, pos),
    }
}

/// [`uleb128_raw`] for numbers of more than one byte.
#[inline(never)]
fn uleb128_raw_long(bytes: &[u8], pos: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &byte) in bytes.get(pos..)?.iter().enumerate().take(10) {
        let shift = 7 * i as u32;
        let low = u64::from(byte & 0x7f);
        // The tenth byte may only hold the top bit.
        if shift == 63 && low > 1 {
            return None;
        }
        value |= low << shift;
        if byte < 0x80 {
            return Some((value, pos + i + 1));
        }
    }
    None
}

/// Read an unsigned LEB128 number. Almost every one in DWARF (codes, lengths, attribute names
/// and forms) fits one byte, which this reads without gimli's general loop.
#[inline]
pub fn uleb128(input: &mut Reader<'_>) -> gimli::Result<u64> {
    match input.slice().first() {
        Some(&byte) if byte < 0x80 => {
            input.skip(1)?;
            Ok(u64::from(byte))
        }
        _ => input.read_uleb128(),
    }
}

/// [`uleb128`] for values that must fit 16 bits (attribute names, forms, tags).
#[inline]
pub fn uleb128_u16(input: &mut Reader<'_>) -> gimli::Result<u16> {
    match input.slice().first() {
        Some(&byte) if byte < 0x80 => {
            input.skip(1)?;
            Ok(u16::from(byte))
        }
        _ => input.read_uleb128_u16(),
    }
}

fn block_length(len: u64) -> gimli::Result<usize> {
    usize::try_from(len).map_err(|_| gimli::Error::UnsupportedOffset)
}

/// DWARF 2 and 3 write section offsets (location lists, ...) as `data4`/`data8`.
fn may_be_section_offset(name: constants::DwAt, version: u16) -> bool {
    match name {
        constants::DW_AT_location => true,
        constants::DW_AT_data_member_location => version <= 3,
        _ => false,
    }
}

/// The attributes [`read`] decodes; gimli's cursor reads the others.
pub fn decodes(name: constants::DwAt) -> bool {
    matches!(
        name,
        constants::DW_AT_location
            | constants::DW_AT_name
            | constants::DW_AT_type
            | constants::DW_AT_specification
            | constants::DW_AT_abstract_origin
            | constants::DW_AT_signature
            | constants::DW_AT_byte_size
            | constants::DW_AT_bit_size
            | constants::DW_AT_declaration
            | constants::DW_AT_data_member_location
            | constants::DW_AT_count
            | constants::DW_AT_lower_bound
            | constants::DW_AT_upper_bound
    )
}

/// Decode the attribute `spec` (one that [`decodes`] accepts) at `input`: the value gimli's
/// `Attribute::value` gives for it.
#[inline]
pub fn read<'a>(
    input: &mut Reader<'a>,
    spec: &AttributeSpecification,
    encoding: Encoding,
) -> gimli::Result<AttributeValue<Reader<'a>>> {
    // The forms compilers use for names, references and small constants, inline; their
    // class conversions reduce to this.
    match spec.form() {
        constants::DW_FORM_ref4 => Ok(AttributeValue::UnitRef(gimli::UnitOffset(input.read_u32()? as usize))),
        constants::DW_FORM_strp => {
            Ok(AttributeValue::DebugStrRef(gimli::DebugStrOffset(input.read_offset(encoding.format)?)))
        }
        constants::DW_FORM_data1 => {
            let value = input.read_u8()?;
            Ok(match spec.name() {
                constants::DW_AT_byte_size
                | constants::DW_AT_bit_size
                | constants::DW_AT_data_member_location => AttributeValue::Udata(u64::from(value)),
                _ => AttributeValue::Data1(value),
            })
        }
        _ => read_general(input, spec, encoding),
    }
}

/// [`read`] for every form.
fn read_general<'a>(
    input: &mut Reader<'a>,
    spec: &AttributeSpecification,
    encoding: Encoding,
) -> gimli::Result<AttributeValue<Reader<'a>>> {
    let name = spec.name();
    let mut form = spec.form();
    let raw = loop {
        let offset_sized = |size: u8, format: Format| {
            size == format.word_size() && may_be_section_offset(name, encoding.version)
        };
        break match form {
            constants::DW_FORM_indirect => {
                form = constants::DwForm(input.read_uleb128_u16()?);
                continue;
            }
            constants::DW_FORM_addr => AttributeValue::Addr(input.read_address(encoding.address_size)?),
            constants::DW_FORM_block1 => {
                let len = usize::from(input.read_u8()?);
                AttributeValue::Block(input.split(len)?)
            }
            constants::DW_FORM_block2 => {
                let len = usize::from(input.read_u16()?);
                AttributeValue::Block(input.split(len)?)
            }
            constants::DW_FORM_block4 => {
                let len = input.read_u32()? as usize;
                AttributeValue::Block(input.split(len)?)
            }
            constants::DW_FORM_block => {
                let len = block_length(input.read_uleb128()?)?;
                AttributeValue::Block(input.split(len)?)
            }
            constants::DW_FORM_exprloc => {
                let len = block_length(input.read_uleb128()?)?;
                AttributeValue::Exprloc(gimli::Expression(input.split(len)?))
            }
            constants::DW_FORM_data16 => AttributeValue::Block(input.split(16)?),
            constants::DW_FORM_data1 => AttributeValue::Data1(input.read_u8()?),
            constants::DW_FORM_data2 => AttributeValue::Data2(input.read_u16()?),
            constants::DW_FORM_data4 if offset_sized(4, encoding.format) => {
                AttributeValue::SecOffset(input.read_u32()? as usize)
            }
            constants::DW_FORM_data4 => AttributeValue::Data4(input.read_u32()?),
            constants::DW_FORM_data8 if offset_sized(8, encoding.format) => {
                AttributeValue::SecOffset(block_length(input.read_u64()?)?)
            }
            constants::DW_FORM_data8 => AttributeValue::Data8(input.read_u64()?),
            constants::DW_FORM_udata => AttributeValue::Udata(input.read_uleb128()?),
            constants::DW_FORM_sdata => AttributeValue::Sdata(input.read_sleb128()?),
            constants::DW_FORM_implicit_const => {
                AttributeValue::Sdata(spec.implicit_const_value().ok_or(gimli::Error::InvalidImplicitConst)?)
            }
            constants::DW_FORM_flag => AttributeValue::Flag(input.read_u8()? != 0),
            constants::DW_FORM_flag_present => AttributeValue::Flag(true),
            constants::DW_FORM_sec_offset => AttributeValue::SecOffset(input.read_offset(encoding.format)?),
            constants::DW_FORM_ref1 => {
                AttributeValue::UnitRef(gimli::UnitOffset(usize::from(input.read_u8()?)))
            }
            constants::DW_FORM_ref2 => {
                AttributeValue::UnitRef(gimli::UnitOffset(usize::from(input.read_u16()?)))
            }
            constants::DW_FORM_ref4 => AttributeValue::UnitRef(gimli::UnitOffset(input.read_u32()? as usize)),
            constants::DW_FORM_ref8 => {
                AttributeValue::UnitRef(gimli::UnitOffset(block_length(input.read_u64()?)?))
            }
            constants::DW_FORM_ref_udata => {
                AttributeValue::UnitRef(gimli::UnitOffset(block_length(input.read_uleb128()?)?))
            }
            constants::DW_FORM_ref_addr => {
                let size = fixed_size(form, encoding).unwrap_or(encoding.format.word_size());
                AttributeValue::DebugInfoRef(gimli::DebugInfoOffset(input.read_sized_offset(size)?))
            }
            constants::DW_FORM_ref_sig8 => {
                AttributeValue::DebugTypesRef(gimli::DebugTypeSignature(input.read_u64()?))
            }
            constants::DW_FORM_ref_sup4 => {
                AttributeValue::DebugInfoRefSup(gimli::DebugInfoOffset(input.read_u32()? as usize))
            }
            constants::DW_FORM_ref_sup8 => {
                AttributeValue::DebugInfoRefSup(gimli::DebugInfoOffset(block_length(input.read_u64()?)?))
            }
            constants::DW_FORM_GNU_ref_alt => {
                AttributeValue::DebugInfoRefSup(gimli::DebugInfoOffset(input.read_offset(encoding.format)?))
            }
            constants::DW_FORM_string => AttributeValue::String(input.read_null_terminated_slice()?),
            constants::DW_FORM_strp => {
                AttributeValue::DebugStrRef(gimli::DebugStrOffset(input.read_offset(encoding.format)?))
            }
            constants::DW_FORM_strp_sup | constants::DW_FORM_GNU_strp_alt => {
                AttributeValue::DebugStrRefSup(gimli::DebugStrOffset(input.read_offset(encoding.format)?))
            }
            constants::DW_FORM_line_strp => AttributeValue::DebugLineStrRef(gimli::DebugLineStrOffset(
                input.read_offset(encoding.format)?,
            )),
            constants::DW_FORM_strx | constants::DW_FORM_GNU_str_index => {
                AttributeValue::DebugStrOffsetsIndex(gimli::DebugStrOffsetsIndex(block_length(
                    input.read_uleb128()?,
                )?))
            }
            constants::DW_FORM_strx1
            | constants::DW_FORM_strx2
            | constants::DW_FORM_strx3
            | constants::DW_FORM_strx4 => {
                let size = fixed_size(form, encoding).unwrap_or(1);
                AttributeValue::DebugStrOffsetsIndex(gimli::DebugStrOffsetsIndex(block_length(
                    input.read_uint(usize::from(size))?,
                )?))
            }
            constants::DW_FORM_addrx | constants::DW_FORM_GNU_addr_index => {
                AttributeValue::DebugAddrIndex(gimli::DebugAddrIndex(block_length(input.read_uleb128()?)?))
            }
            constants::DW_FORM_addrx1
            | constants::DW_FORM_addrx2
            | constants::DW_FORM_addrx3
            | constants::DW_FORM_addrx4 => {
                let size = fixed_size(form, encoding).unwrap_or(1);
                AttributeValue::DebugAddrIndex(gimli::DebugAddrIndex(block_length(
                    input.read_uint(usize::from(size))?,
                )?))
            }
            constants::DW_FORM_loclistx => AttributeValue::DebugLocListsIndex(gimli::DebugLocListsIndex(
                block_length(input.read_uleb128()?)?,
            )),
            constants::DW_FORM_rnglistx => AttributeValue::DebugRngListsIndex(gimli::DebugRngListsIndex(
                block_length(input.read_uleb128()?)?,
            )),
            _ => return Err(gimli::Error::UnknownForm(form)),
        };
    };
    Ok(classify(name, raw))
}

/// gimli's per-attribute class conversions, for the attributes [`decodes`] accepts.
fn classify<'a>(name: constants::DwAt, raw: AttributeValue<Reader<'a>>) -> AttributeValue<Reader<'a>> {
    let as_expression = |raw: AttributeValue<Reader<'a>>| match raw {
        AttributeValue::Block(data) => AttributeValue::Exprloc(gimli::Expression(data)),
        other => other,
    };
    let as_location_list = |raw: AttributeValue<Reader<'a>>| match raw {
        AttributeValue::SecOffset(offset) => {
            AttributeValue::LocationListsRef(gimli::LocationListsOffset(offset))
        }
        other => other,
    };
    match name {
        constants::DW_AT_location => as_location_list(as_expression(raw)),
        constants::DW_AT_byte_size | constants::DW_AT_bit_size => match raw.udata_value() {
            Some(value) => AttributeValue::Udata(value),
            None => as_expression(raw),
        },
        constants::DW_AT_data_member_location => match raw.udata_value() {
            Some(value) => AttributeValue::Udata(value),
            None => as_location_list(as_expression(raw)),
        },
        constants::DW_AT_count | constants::DW_AT_lower_bound | constants::DW_AT_upper_bound => {
            as_expression(raw)
        }
        _ => raw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gimli::{EndianSlice, RunTimeEndian};

    fn encodings() -> Vec<Encoding> {
        let mut all = Vec::new();
        for version in [2, 3, 4, 5] {
            for format in [Format::Dwarf32, Format::Dwarf64] {
                for address_size in [4, 8] {
                    all.push(Encoding { format, version, address_size });
                }
            }
        }
        all
    }

    fn forms() -> impl Iterator<Item = constants::DwForm> + Clone {
        (1u16..=0x2c).chain([0x1f01, 0x1f02, 0x1f20, 0x1f21]).map(constants::DwForm)
    }

    /// A unit holding `data` as its DIE bytes, so gimli's cursor can decode it.
    fn unit_bytes(encoding: Encoding, data: &[u8], endian: RunTimeEndian) -> (Vec<u8>, usize) {
        let word = usize::from(encoding.format.word_size());
        let body = 2 + usize::from(encoding.version >= 5) + word + 1 + data.len();
        let mut unit = Vec::new();
        let put = |bytes: &[u8], unit: &mut Vec<u8>| {
            if endian == RunTimeEndian::Big {
                unit.extend(bytes.iter().rev());
            } else {
                unit.extend_from_slice(bytes);
            }
        };
        match encoding.format {
            Format::Dwarf32 => put(&(body as u32).to_le_bytes(), &mut unit),
            Format::Dwarf64 => {
                put(&u32::MAX.to_le_bytes(), &mut unit);
                put(&(body as u64).to_le_bytes(), &mut unit);
            }
        }
        put(&encoding.version.to_le_bytes(), &mut unit);
        if encoding.version >= 5 {
            unit.push(constants::DW_UT_compile.0);
            unit.push(encoding.address_size);
            unit.extend(std::iter::repeat_n(0, word));
        } else {
            unit.extend(std::iter::repeat_n(0, word));
            unit.push(encoding.address_size);
        }
        let start = unit.len();
        unit.extend_from_slice(data);
        (unit, start)
    }

    /// gimli's decoding of one attribute at the start of `data`: value and bytes used.
    fn gimli_read(
        data: &[u8],
        encoding: Encoding,
        spec: AttributeSpecification,
        endian: RunTimeEndian,
    ) -> Option<(String, usize)> {
        let (unit, start) = unit_bytes(encoding, data, endian);
        let info = gimli::DebugInfo::new(&unit, endian);
        let header = info.units().next().ok()??;
        let abbrevs = gimli::Abbreviations::default();
        let mut entries = header.entries_raw(&abbrevs, Some(gimli::UnitOffset(start))).ok()?;
        let attr = entries.read_attribute(spec).ok()?;
        Some((format!("{:?}", attr.value()), entries.next_offset().0 - start))
    }

    /// Inputs that make each form short and valid: a block length of 3, a LEB128 of two
    /// bytes, a 3-byte string; then filler.
    const DATA: [u8; 24] =
        [3, 0x81, 0x01, 0, 0x41, 0x42, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0xff];

    #[test]
    fn decoding_agrees_with_gimli() {
        let names = (1u16..=0x8c).map(constants::DwAt).filter(|&n| decodes(n));
        let mut checked = 0;
        for endian in [RunTimeEndian::Little, RunTimeEndian::Big] {
            for encoding in encodings() {
                for name in names.clone() {
                    for form in forms() {
                        let implicit = (form == constants::DW_FORM_implicit_const).then_some(-7);
                        let spec = AttributeSpecification::new(name, form, implicit);
                        let mut ours = EndianSlice::new(&DATA, endian);
                        let ours = read(&mut ours, &spec, encoding)
                            .map(|value| (format!("{value:?}"), DATA.len() - ours.len()))
                            .ok();
                        assert_eq!(
                            ours,
                            gimli_read(&DATA, encoding, spec, endian),
                            "{name} {form} {encoding:?}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 10_000);
    }

    #[test]
    fn skipping_agrees_with_gimli() {
        for encoding in encodings() {
            for form in forms() {
                let implicit = (form == constants::DW_FORM_implicit_const).then_some(7);
                let spec = AttributeSpecification::new(constants::DW_AT_producer, form, implicit);
                let mut ours = EndianSlice::new(&DATA, RunTimeEndian::Little);
                let ours = match fixed_size(form, encoding) {
                    Some(size) => ours.skip(usize::from(size)),
                    None => skip_variable(&mut ours, form, encoding),
                }
                .map(|()| DATA.len() - ours.len())
                .ok();
                let theirs = gimli_read(&DATA, encoding, spec, RunTimeEndian::Little).map(|(_, len)| len);
                assert_eq!(ours, theirs, "{form} {encoding:?}");
            }
        }
    }

    #[test]
    fn raw_skipping_agrees_where_it_answers() {
        let encoding = Encoding { format: Format::Dwarf32, version: 5, address_size: 4 };
        let mut answered = 0;
        // Every start and every truncation of the data, for every form.
        for form in forms() {
            for start in 0..DATA.len() {
                for end in start..=DATA.len() {
                    let bytes = &DATA[..end];
                    let Some(raw) = skip_variable_raw(bytes, start, form) else { continue };
                    let mut reader = EndianSlice::new(&bytes[start..], RunTimeEndian::Little);
                    skip_variable(&mut reader, form, encoding).expect("the raw skip answered");
                    assert_eq!(raw, end - reader.len(), "{form} at {start} of {end}");
                    answered += 1;
                }
            }
        }
        assert!(answered > 1000);
    }

    #[test]
    fn raw_numbers_agree_with_gimli() {
        let cases: [&[u8]; 7] = [
            &[0x05],
            &[0x81, 0x01],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            &[0x80, 0x80],
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
            &[],
        ];
        for bytes in cases {
            let mut reader = EndianSlice::new(bytes, RunTimeEndian::Little);
            let gimli = reader.read_uleb128().ok().map(|value| (value, bytes.len() - reader.len()));
            // Where gimli fails the raw reader declines, and it answers every number that fits.
            assert_eq!(uleb128_raw(bytes, 0), gimli, "{bytes:02x?}");
        }
        for endian in [RunTimeEndian::Little, RunTimeEndian::Big] {
            let bytes = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];
            for size in [1, 2, 4, 8] {
                let mut reader = EndianSlice::new(&bytes[..size], endian);
                let gimli = reader.read_uint(size).expect("uint");
                assert_eq!(uint_raw(&bytes[..size], endian), Some(gimli));
            }
            assert_eq!(uint_raw(&bytes[..3], endian), None);
        }
    }

    #[test]
    fn indirect_forms_are_followed() {
        let encoding = Encoding { format: Format::Dwarf32, version: 4, address_size: 4 };
        // DW_FORM_indirect naming DW_FORM_data2, then the value.
        let data = [0x05, 0x34, 0x12, 0xff];
        for name in [constants::DW_AT_byte_size, constants::DW_AT_upper_bound] {
            let spec = AttributeSpecification::new(name, constants::DW_FORM_indirect, None);
            let mut ours = EndianSlice::new(&data, RunTimeEndian::Little);
            let ours = read(&mut ours, &spec, encoding)
                .map(|value| (format!("{value:?}"), data.len() - ours.len()))
                .ok();
            assert_eq!(ours, gimli_read(&data, encoding, spec, RunTimeEndian::Little));
            let mut skipped = EndianSlice::new(&data, RunTimeEndian::Little);
            skip_variable(&mut skipped, constants::DW_FORM_indirect, encoding).expect("skip");
            assert_eq!(skipped.len(), 1);
        }
    }
}
