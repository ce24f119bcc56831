// Package codeblock finds the fenced code blocks of a model's Markdown reply
// and turns them into artifact drafts: the files a reply's code becomes.
//
// # Blocks
//
// Parse reads a whole text; a Scanner reads the same text as it streams in,
// split anywhere, and returns each block once its closing fence's line is
// complete, so that the chat handler can announce an artifact while the
// reply is still being written. Over a whole stream a Scanner returns
// exactly the blocks Parse returns.
//
// Fences follow CommonMark, made robust to what models write:
//
//   - A fence is a run of at least three backticks or tildes. A backtick
//     fence's info string cannot contain a backtick (that is inline code).
//   - A closing fence uses the same character, is at least as long as the
//     opening fence and has nothing but blanks after it; a longer fence can
//     therefore hold shorter ones (a ````markdown block around ``` blocks).
//   - The opening fence may be indented by any amount, since models indent
//     fences inside list items; a closing fence may be indented at most three
//     columns more than its opening fence, and the opening fence's
//     indentation is removed from each content line.
//   - Inside a markdown block, a fence line of the same kind that has an
//     info string opens a nested block and the next bare fence closes it,
//     because models write README files with inner fences as long as the
//     outer one. Other languages keep CommonMark's rule: only the first bare
//     fence closes.
//   - CRLF line endings are read as LF, so Code never holds a carriage
//     return at the end of a line.
//   - A block still open at the end of the text is returned with Closed
//     false; block quotes are not containers.
//
// A block's language and file path come from its info string ("tsx",
// "tsx src/App.tsx", `tsx title="App.tsx"`, "tsx filename=App.tsx",
// "jsx:src/App.jsx", "src/App.tsx", "{.python}") or, for the path, from a
// comment on its first line ("// file: src/App.tsx", "/* file: x.css */",
// "# file: main.py", "<!-- file: index.html -->", "-- file: schema.sql").
// A comment holding a bare path ("// src/App.tsx") counts only when the
// path has a known source extension or file name.
//
// Failing both, the path comes from the last line of prose before the
// opening fence, with at most one blank line between them, in one of two
// ways:
//
//   - The line is nothing but the path, as models write it: a heading of
//     any level ("### src/App.tsx", "### 1. `src/App.tsx`", "## 📄
//     src/App.tsx"), bold, italic or inline code ("**src/App.tsx**",
//     "__src/App.tsx__", "*src/App.tsx*", "`src/App.tsx`:"), a label
//     ("File: src/App.tsx", "Filename:", "File path:", "Path:",
//     "**File:** `src/App.tsx`"), a list item ("1. **src/App.tsx**",
//     "- `src/App.tsx`") or these combined ("**`src/App.tsx`**:").
//   - The line is a sentence holding the path in a code span: "Then create
//     `js/app.js`:", "Add this to `src/utils/format.ts`:", "In
//     `server/index.js`, replace the handler:", "Save it as `styles.css`.",
//     "### `src/App.tsx` (the main component)". Commands and names in code
//     spans (`npm install`, `node server.js`, `useState`, `./utils`) are
//     no paths.
//
// Either way the path needs a known source extension or file name, as a
// bare comment path does, and names the block only when it is of the
// block's language family (JavaScript and TypeScript with or without JSX,
// CSS and its preprocessors, shell and .env files, SVG and XML, Markdown
// and MDX are each one family; a block without a language fits any path):
// a "### `src/db.ts`" heading above an install command does not name the
// command's block. A plain-text path fits any block when it is the whole
// line, but in a sentence only a plain-text block: "Add `flask` to
// `requirements.txt`, then install it:" names no pip command. The
// exceptions:
//
//   - A sentence holding two paths of the block's family names neither
//     ("Move the hook from `src/App.jsx` to `src/hooks/useTimer.js`:"); a
//     code span in parentheses describes and names nothing ("The page
//     (`public/index.html`):", "### 2. Using It (`src/routes/notes.ts`)");
//     nor does a line of more than four paths.
//   - A file name without a directory names an HTML, CSS or
//     JavaScript-family block only when a label introduces it, when an
//     earlier block of the reply named a path, or when a directory tree
//     before it lists it: until then a bare "**index.html**", "###
//     LoginForm.jsx" or "Save it as `styles.css`." may caption a page or a
//     component that the rules below already join, and "### Node.js" names
//     a library. Above a block of any other language ("### `package.json`",
//     "Create a `.env` file:") a file name counts at once.
//   - A file name that a directory tree before the block lists takes the
//     tree's directory: "### `style.css`" below a tree listing css/style.css
//     names css/style.css. The tree's project folder ("my-app/" on its
//     first line) is left out unless a block has named a path inside it; a
//     conventional root such as src is kept. A name listed twice takes no
//     directory.
//
// Prose such as "Here is the component:", "**Update src/App.tsx:**" (no
// code span) or "### Usage" names no path. A path in the info string or
// the first-line comment wins over the line before.
//
// A directory tree is a block whose every non-blank line is a branch drawn
// with "├──" or "└──" (or "|--", "`--", "+--") below lines of "│", but
// for a root directory on its first line, whatever the block's language:
// the project layout models show before its files. Parse returns it like
// any block; the files it lists, their paths rebuilt from the indentation,
// serve the rule above, as do those of a tree drawn in the prose outside a
// block.
//
// A path must be clean and relative (see CleanPath); any other is dropped
// and the block has no path.
//
// # Drafts
//
// A Consolidator takes a reply's blocks in order and keeps its drafts up to
// date, in the "single-file focus" of the Node backend it replaces: blocks
// that belong to one file become one draft. Add returns the index of the
// draft a block created or changed; indexes are stable, so the caller saves
// a changed draft again under the same artifact. Extract is Parse followed
// by Add for every block, so streaming and batch give the same drafts. The
// rules, in order:
//
//   - A block whose code is blank is ignored, and so is a directory tree,
//     which shows a project's files but is none of them. Every other block
//     makes or changes a draft, short shell commands included (as the Node
//     backend kept them), and so does an unterminated block, which is what
//     a cut-off reply ends with.
//   - Blocks that name a path, in any of the ways above and mixed in one
//     reply (a bold path above one block, a path comment in the next), form
//     the reply's one PROJECT draft, files in first-seen order, a repeated
//     path replacing that file's content. Its
//     entry is the one Entry finds (the first of src/main.tsx,
//     src/main.jsx, src/index.tsx, src/index.jsx, src/App.tsx, App.tsx,
//     src/App.jsx, App.jsx, index.html, ... main.py, app.py, main.go ...
//     present, also under a top-level directory all files share, else the
//     only HTML or script file), else the first file; its code is the
//     entry's. It is titled by its package.json name, else that top-level
//     directory (unless conventional, such as src), else its index.html
//     title, else its App component's name, else "Project". While only one
//     block has named a path, the draft is a plain single-file draft titled
//     by the file's name; the second file turns it into the PROJECT.
//   - A JavaScript-family block without a path joins that draft, once a
//     block of the reply has named a path, when its imports tie it to a
//     file named before it: it imports or requires the file by a "./"
//     specifier ("./hooks/useInterval" ties it to src/hooks/useInterval.js
//     and puts it in src), or the file imports it by a relative specifier
//     ending in its name (src/App.jsx importing "./Countdown" puts a
//     Countdown in src); the block's own aliases ("@/lib/api") and "../"
//     specifiers tie nothing, since they do not say where it sits. Its
//     name is that of its default export, else of the one value it
//     exports, when that is a function or a class it declares; its
//     extension is its language's. The block is then that file,
//     src/Countdown.jsx, as if it had named the path; a file of the draft
//     with that name and another script extension (src/Countdown.js) is
//     the one it replaces. The exceptions: a block without such a name (a
//     usage snippet, a test, an exported router), whose ties put it in more
//     than one directory, or that would be a file it imports stays where
//     the rules below put it.
//   - JavaScript-family blocks without a path (javascript, jsx, typescript,
//     tsx; JavaScript with JSX and TypeScript with TSX, never across) join
//     the latest such module: a component split across blocks, or a helper
//     followed by the component that uses it. Their imports are merged per
//     module at the top (default, namespace, named and type-only bindings
//     each kept correct, side-effect imports kept once, each local name bound
//     once), directives such as 'use client' come first and whole-line
//     require declarations are de-duplicated. Imports from a local module
//     ("./utils", "@/lib/x") of a name the merged file now declares are
//     dropped. A block does not join when it declares a top-level name the
//     module already declares, or when both export a default and the new
//     block does not import the module's names from a local file: that is a
//     second version or an unrelated module, and it starts a new draft. When
//     it does import them (App using the Card above it), the earlier
//     default export is demoted to a plain declaration.
//   - Python blocks without a path join the latest Python module in the
//     same way: import lines merged and de-duplicated at the top (from
//     __future__ first, one from-import per module), a redefined def or
//     class (or a second main guard) starting a new draft.
//   - A block that repeats all the lines of earlier blocks of its module,
//     stylesheet or page, whatever the indentation (the complete component
//     after excerpts of it), replaces them instead of being appended; a
//     complete HTML document also replaces the page's CSS and JavaScript it
//     already holds.
//   - An HTML block starts a page; the CSS blocks and plain browser scripts
//     (JavaScript without React, module syntax or Node.js APIs) that follow
//     join it, unless a JavaScript module was started after it. The page
//     becomes one document, the CSS in a <style> at the end of <head>, the
//     scripts in a <script> at the end of <body>, links to the local files
//     they replace removed; a fragment is wrapped in a full document. Blocks
//     that come before their HTML stay separate drafts.
//   - CSS blocks with no page to join make one stylesheet draft, @import
//     and @charset rules moved to the top once. Blocks of any other language
//     each make their own draft.
//   - A draft made from one block has exactly that block's code: the
//     frontend matches artifacts to the fences it renders.
//
// Types come from TypeFor on the draft's language and code, so React code
// is REACT whatever its language tag, and a page stays HTML. Titles come
// from the code: the default export or first component of a script, the
// first class or function of Python, the <title> or first <h1> of HTML, the
// first heading of Markdown, the file name of a single file; otherwise
// "<Language> snippet". Titles are at most MaxTitleLen characters.
//
// Known limits: a pathless block that only a later file imports (the
// Countdown component above src/App.jsx, when nothing before ties it) stays
// a draft apart, the later import unresolved: the chat handler saves a
// draft as an artifact when Add returns its index, and a draft once saved
// is never taken back into another. And a file name without a directory
// above a page or a script that opens a reply, before any path and with no
// tree ("Create `index.html`:" then "Then create `js/app.js`:"), names
// nothing, since the blocks after it cannot be known yet: that page stays
// a draft apart.
package codeblock
