"""Every named key this session keeps in `st.session_state`, in one list: what it holds and who writes it.

Only `ui.state` writes these (tests/architecture/test_ui_layers.py checks it). A widget's own key (a slider's
`hp-mlp-epochs`, say) is its widget's, written through `ui.state.widget_keys`; the settings among them are
also held by the session (`ui.state.settings`), since Streamlit drops a widget's key on a page that does not
draw it.
"""

# -- the workspace and the store (ui.state.workspace) --
WORKSPACE = "workspace"  # (token, workspace id) of this session
SAVED = "workspace-saved"  # what was last written to the store per value key, so a rerun writes only changes
NOTICE = "workspace-notice"  # a store sentence for the next page drawn
STORE_NOTE_SHOWN = "store-note-shown"  # the serial of the last "saved after the fault" note this session showed
STORE_FAULT_TOLD = "store-fault-told"  # the store fault this session was last told of in a toast
OWNER = "owner"  # who owns this session's jobs when there is no store

# -- the data (ui.state.session, ui.state.loading, ui.state.transactions) --
RAW_DATASET = "raw-dataset"  # the Dataset as loaded, before cleaning
RAW_DIGEST = "raw-digest"  # the loaded data's identity: its cache key
DATA_SOURCE_RECORD = "data-source-record"  # where it came from, as plain values (Run.data_source)
DATASET = "dataset"  # the dataset to train on: the loaded one after cleaning
TARGET = "target"
CLEANING = "cleaning"  # CleaningChoices
CLEANED = "cleaned"  # (choices key, CleaningResult) of the last cleaning
MARKERS = "markers"  # (digest, markers found)
CLEANING_SUGGESTED = "cleaning-suggested"  # (digest, identifier columns suggested for leaving out)
TASK_CHOICES = "task-choices"  # {(dataset name, target): (task, target is a redshift)}
LOAD_FAILED = "load-failed"  # (token, sentence) of the last file that could not be read
SERVER_REQUEST = "server-request"  # the server file the Data page's Load button asked for
UPLOAD_CHOICE = "upload-choice"  # (uploader file ids, (token, chosen files, note, source record))

# -- records of jobs (ui.state.session, ui.state.jobs) --
RUNS = "runs"
SEARCHES = "searches"
LEARNING_CURVES = "learning-curves"

# -- the Train and Search settings (ui.state.settings) --
SETTINGS = "settings"  # {widget key: value}: every setting the user chose, whatever page is drawn

# -- what a step, a link or a room set up (ui.state.transactions, ui.state.room) --
STEP_APPLIED = "preset-applied"  # (workflow key, step key, dataset name) of the last workflow step applied
SHARE_APPLIED = "shared-applied"  # (title, dataset name, "link" or "run") the Train page was set up with
FILE_CHOICES_RESTORED = "file-choices-restored"  # (data digest, sentence): a file's earlier choices came back
LINK_ERROR = "link-error"  # the sentence for a link that opened nothing, for the page it landed on
LINK_FOLLOWED = "link-followed"  # the settings link this session applied already (a rerun must not again)
SEARCH_PREPROCESSING = "search-preprocessing"  # (runs when set, preprocessing) a workflow step gave the Search page
ROOM_MEMBER = "room-member"  # {"room", "code", "nickname"} of this workspace's room, or False; looked up once
ROOM_APPLIED = "room-applied"  # (room id, push number) applied last (also kept in the workspace)
ROOM_ADMIN = "room-admin"  # the lecturer's secret for this session's room
ROOM_STATUS = "room-status"
ROOM_NOTE = "room-note"  # a sentence for the member's banner
ROOM_GO_TRAIN = "room-go-train"  # Apply was pressed: the Train page is due
ROOM_CLOSED = "room-closed"  # the sentence saying the room closed, shown until another is joined
ROOM_PUSH_TITLE = "room-push-title"  # ((room id, push number), title)

# -- navigation (ui.state.navigation) --
PENDING_PAGE = "pending-page"  # a page a callback asked for, opened by the frame on the next run

# -- messages left for the next run of a page (ui.state.widget_keys.flash) --
FLASH = "flash"  # {channel: (level, text)}

# -- per-session caches of drawn things (ui.state.widget_keys.session_cache) --
CACHES = "caches"  # {name: dict}

# -- the Predict page (ui.state.prediction) --
PREDICT_JOB = "predict-job"
PREDICT_RESULT = "predict-result"

# -- decision-boundary maps drawn after training (ui.state.boundary) --
BOUNDARY_JOBS = "boundary-jobs"  # {run's key: {"job_id", "choice"}} of maps being drawn

# -- the Train page's starting values fitted to the data (ui.state.settings.fit_to_data) --
FITTED_DEFAULTS = "fitted-defaults"  # {widget key: the data-fitted value last put there}

NAMED = frozenset(v for k, v in dict(globals()).items() if k.isupper() and isinstance(v, str))
