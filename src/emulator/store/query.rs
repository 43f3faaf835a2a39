//! What a list or an export asks for: sort, filters, and the compiled filter a scan tests.

use serde_json::{Map, Value};

use crate::api::model::TargetType;

use super::*;

/// Which field a list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    Model,
    TargetType,
}

/// A list order: a field and a direction; ties are broken by `id` in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

impl Default for Sort {
    /// `created_at:desc`.
    fn default() -> Self {
        Sort {
            field: SortField::CreatedAt,
            descending: true,
        }
    }
}

impl Sort {
    /// `field`, `field:asc` or `field:desc` (a bare field sorts ascending).
    pub fn parse(s: &str) -> Option<Sort> {
        let (field, dir) = match s.split_once(':') {
            Some((f, d)) => (f, d),
            None => (s, "asc"),
        };
        let field = match field {
            "created_at" => SortField::CreatedAt,
            "model" => SortField::Model,
            "target_type" => SortField::TargetType,
            _ => return None,
        };
        let descending = match dir {
            "asc" => false,
            "desc" => true,
            _ => return None,
        };
        Some(Sort { field, descending })
    }
}

/// List filters: repeated values of one field are OR-ed, fields are AND-ed; an empty field
/// does not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub models: Vec<String>,
    /// A customization matches when it has any of these tags.
    pub tags: Vec<String>,
    pub target_types: Vec<TargetType>,
    pub target_identities: Vec<String>,
    /// The list body's `criteria`: a customization matches when its `target_criteria`
    /// holds every key of at least one element, with an equal value.
    pub criteria: Vec<Map<String, Value>>,
}

pub(super) fn tag_mask(tags: &[u32]) -> u64 {
    tags.iter().fold(0, |m, t| m | 1u64 << (t % 64))
}

pub(super) struct Compiled<'a> {
    pub(super) models: Option<Vec<u32>>,
    pub(super) tags: Option<Vec<u32>>,
    pub(super) tag_mask: u64,
    pub(super) target_types: &'a [TargetType],
    pub(super) identities: &'a [String],
    pub(super) criteria: &'a [Map<String, Value>],
}

impl Compiled<'_> {
    pub(super) fn is_empty(&self) -> bool {
        self.models.is_none()
            && self.tags.is_none()
            && self.target_types.is_empty()
            && self.identities.is_empty()
            && self.criteria.is_empty()
    }

    /// The model and tag tests on the dense per-slot copy, which spares most rows a visit:
    /// `false` means the row cannot match; `true` that [`Compiled::matches`] must decide.
    pub(super) fn may_match(&self, m: &Meta) -> bool {
        if let Some(models) = &self.models
            && !models.contains(&m.model)
        {
            return false;
        }
        !(self.tags.is_some() && m.tag_mask & self.tag_mask == 0)
    }

    pub(super) fn matches(&self, r: &Row) -> bool {
        if let Some(models) = &self.models
            && !models.contains(&r.model)
        {
            return false;
        }
        if !self.target_types.is_empty() && !self.target_types.contains(&r.target_type) {
            return false;
        }
        if let Some(tags) = &self.tags
            && (r.tag_mask & self.tag_mask == 0 || !r.tags.iter().any(|t| tags.contains(t)))
        {
            return false;
        }
        if !self.identities.is_empty() {
            match r.target_identity() {
                Some(id) if self.identities.iter().any(|x| x.as_str() == id) => {}
                _ => return false,
            }
        }
        if !self.criteria.is_empty() {
            let Some(have) = &r.criteria else {
                return false;
            };
            if !self
                .criteria
                .iter()
                .any(|want| want.iter().all(|(k, v)| have.get(k) == Some(v)))
            {
                return false;
            }
        }
        true
    }
}

/// Export filters (single-valued) and options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportFilter {
    pub model: Option<String>,
    pub tag: Option<String>,
    pub target_type: Option<TargetType>,
    pub target_identity: Option<String>,
    /// Leave out pins whose window has ended.
    pub remove_expired_pins: bool,
    /// Leave out item pins that point at an item the tracker knows nothing of; see
    /// [`Store::export_json`].
    pub remove_nonexisting_item_pins: bool,
}
