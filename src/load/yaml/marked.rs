//! Multi-document YAML with the line of every field, for input that is not a spec.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::Indexer;
use crate::diag::Pos;

/// One document of a multi-document text, with the line of every field's key (`spec.image`,
/// `spec.containers[0].args[1]`) and the line the document starts on.
pub struct MarkedDocument {
    pub tree: crate::load::tree::Tree,
    pub lines: HashMap<String, usize>,
    pub start: usize,
}

/// The documents of a multi-document YAML text with their field lines, for messages about
/// input that is not a spec (`flinkgen import` reads other tools' manifests). Empty documents
/// are skipped.
pub fn marked_documents(text: &str) -> Result<Vec<MarkedDocument>, (Pos, String)> {
    let mut multi = MultiIndexer::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut multi, true) {
        let m = e.marker();
        let pos = Pos {
            line: m.line(),
            col: m.col() + 1,
        };
        return Err((pos, format!("invalid YAML: {}", e.info())));
    }
    let trees = documents_with_nulls(text).map_err(|e| (Pos { line: 1, col: 1 }, e))?;
    // Both readers see the same documents; should they ever disagree, positions are dropped
    // rather than attached to the wrong object.
    let aligned = trees.len() == multi.done.len();
    Ok(trees
        .into_iter()
        .enumerate()
        .filter(|(_, t)| !t.is_null())
        .map(|(i, tree)| {
            let (index, start) = if aligned {
                std::mem::take(&mut multi.done[i])
            } else {
                (HashMap::new(), 1)
            };
            let lines = index
                .into_iter()
                .filter_map(|(k, all)| all.first().map(|(key, _)| (k, key.line)))
                .collect();
            MarkedDocument { tree, lines, start }
        })
        .collect())
}

fn documents_with_nulls(text: &str) -> Result<Vec<crate::load::tree::Tree>, String> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .enumerate()
        .map(|(n, doc)| {
            crate::load::tree::Tree::deserialize(doc)
                .map_err(|e| format!("document {}: {e}", n + 1))
        })
        .collect()
}

/// Key and value positions of each field path of one document.
type FieldIndex = HashMap<String, Vec<(Pos, Pos)>>;

/// The field index of each document in turn.
#[derive(Default)]
struct MultiIndexer {
    current: Indexer,
    start: usize,
    done: Vec<(FieldIndex, usize)>,
}

impl MarkedEventReceiver for MultiIndexer {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::DocumentStart => {
                self.current = Indexer::default();
                self.start = mark.line();
            }
            Event::DocumentEnd => {
                let index = std::mem::take(&mut self.current.index);
                self.done.push((index, self.start));
            }
            ev => self.current.on_event(ev, mark),
        }
    }
}
