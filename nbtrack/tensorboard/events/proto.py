"""The TensorBoard messages this room reads, defined here (no ``tensorboard`` or TensorFlow at run time).

The field numbers are those of TensorBoard's ``tensorboard/compat/proto/{event,summary,tensor,
tensor_shape,graph,node_def}.proto`` and of its plugins' ``plugin_data.proto`` / ``layout.proto``
(hparams, custom_scalar, pr_curve, text, audio, image). Only the fields nbtrack reads are declared;
anything else in a file stays an unknown field. The classes live in a private descriptor pool, so
they never clash with TensorBoard's own classes when both are imported.

>>> ev = Event(wall_time=1.5, step=3)
>>> _ = ev.summary.value.add(tag="loss", simple_value=0.25)
>>> Event.FromString(ev.SerializeToString()).summary.value[0].simple_value
0.25
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, struct_pb2

_F = descriptor_pb2.FieldDescriptorProto
PACKAGE = "nbtrack_tb"

# (name, number, type, repeated, message or enum type name relative to the package, oneof name)
_MESSAGES: dict[str, list[tuple]] = {
    "Event": [
        ("wall_time", 1, _F.TYPE_DOUBLE), ("step", 2, _F.TYPE_INT64),
        ("file_version", 3, _F.TYPE_STRING, False, None, "what"),
        ("graph_def", 4, _F.TYPE_BYTES, False, None, "what"),
        ("summary", 5, _F.TYPE_MESSAGE, False, "Summary", "what"),
        ("log_message", 6, _F.TYPE_MESSAGE, False, "LogMessage", "what"),
        ("session_log", 7, _F.TYPE_MESSAGE, False, "SessionLog", "what"),
        ("tagged_run_metadata", 8, _F.TYPE_MESSAGE, False, "TaggedRunMetadata", "what"),
        ("meta_graph_def", 9, _F.TYPE_BYTES, False, None, "what"),
        ("source_metadata", 10, _F.TYPE_MESSAGE, False, "SourceMetadata"),
    ],
    "LogMessage": [("level", 1, _F.TYPE_INT32), ("message", 2, _F.TYPE_STRING)],
    "SessionLog": [("status", 1, _F.TYPE_INT32), ("checkpoint_path", 2, _F.TYPE_STRING),
                   ("msg", 3, _F.TYPE_STRING)],
    "TaggedRunMetadata": [("tag", 1, _F.TYPE_STRING), ("run_metadata", 2, _F.TYPE_BYTES)],
    "SourceMetadata": [("writer", 1, _F.TYPE_STRING)],
    "Summary": [("value", 1, _F.TYPE_MESSAGE, True, "Summary.Value")],
    "Summary.Image": [("height", 1, _F.TYPE_INT32), ("width", 2, _F.TYPE_INT32),
                      ("colorspace", 3, _F.TYPE_INT32), ("encoded_image_string", 4, _F.TYPE_BYTES)],
    "Summary.Audio": [("sample_rate", 1, _F.TYPE_FLOAT), ("num_channels", 2, _F.TYPE_INT64),
                      ("length_frames", 3, _F.TYPE_INT64), ("encoded_audio_string", 4, _F.TYPE_BYTES),
                      ("content_type", 5, _F.TYPE_STRING)],
    "Summary.Value": [
        ("tag", 1, _F.TYPE_STRING), ("node_name", 7, _F.TYPE_STRING),
        ("metadata", 9, _F.TYPE_MESSAGE, False, "SummaryMetadata"),
        ("simple_value", 2, _F.TYPE_FLOAT, False, None, "value"),
        ("obsolete_old_style_histogram", 3, _F.TYPE_BYTES, False, None, "value"),
        ("image", 4, _F.TYPE_MESSAGE, False, "Summary.Image", "value"),
        ("histo", 5, _F.TYPE_MESSAGE, False, "HistogramProto", "value"),
        ("audio", 6, _F.TYPE_MESSAGE, False, "Summary.Audio", "value"),
        ("tensor", 8, _F.TYPE_MESSAGE, False, "TensorProto", "value"),
    ],
    "SummaryMetadata": [("plugin_data", 1, _F.TYPE_MESSAGE, False, "SummaryMetadata.PluginData"),
                        ("display_name", 2, _F.TYPE_STRING), ("summary_description", 3, _F.TYPE_STRING),
                        ("data_class", 4, _F.TYPE_INT32)],
    "SummaryMetadata.PluginData": [("plugin_name", 1, _F.TYPE_STRING), ("content", 2, _F.TYPE_BYTES)],
    "HistogramProto": [("min", 1, _F.TYPE_DOUBLE), ("max", 2, _F.TYPE_DOUBLE), ("num", 3, _F.TYPE_DOUBLE),
                       ("sum", 4, _F.TYPE_DOUBLE), ("sum_squares", 5, _F.TYPE_DOUBLE),
                       ("bucket_limit", 6, _F.TYPE_DOUBLE, True), ("bucket", 7, _F.TYPE_DOUBLE, True)],
    "TensorShapeProto": [("dim", 2, _F.TYPE_MESSAGE, True, "TensorShapeProto.Dim"),
                         ("unknown_rank", 3, _F.TYPE_BOOL)],
    "TensorShapeProto.Dim": [("size", 1, _F.TYPE_INT64), ("name", 2, _F.TYPE_STRING)],
    "TensorProto": [
        ("dtype", 1, _F.TYPE_INT32), ("tensor_shape", 2, _F.TYPE_MESSAGE, False, "TensorShapeProto"),
        ("version_number", 3, _F.TYPE_INT32), ("tensor_content", 4, _F.TYPE_BYTES),
        ("half_val", 13, _F.TYPE_INT32, True), ("float_val", 5, _F.TYPE_FLOAT, True),
        ("double_val", 6, _F.TYPE_DOUBLE, True), ("int_val", 7, _F.TYPE_INT32, True),
        ("string_val", 8, _F.TYPE_BYTES, True), ("scomplex_val", 9, _F.TYPE_FLOAT, True),
        ("int64_val", 10, _F.TYPE_INT64, True), ("bool_val", 11, _F.TYPE_BOOL, True),
        ("dcomplex_val", 12, _F.TYPE_DOUBLE, True), ("uint32_val", 16, _F.TYPE_UINT32, True),
        ("uint64_val", 17, _F.TYPE_UINT64, True),
    ],
    "NodeDef": [("name", 1, _F.TYPE_STRING), ("op", 2, _F.TYPE_STRING), ("input", 3, _F.TYPE_STRING, True),
                ("device", 4, _F.TYPE_STRING)],
    "GraphDef": [("node", 1, _F.TYPE_MESSAGE, True, "NodeDef")],
    # hparams plugin (tensorboard/plugins/hparams/{plugin_data,api}.proto)
    "HParamsPluginData": [("version", 1, _F.TYPE_INT32),
                          ("experiment", 2, _F.TYPE_MESSAGE, False, "Experiment", "data"),
                          ("session_start_info", 3, _F.TYPE_MESSAGE, False, "SessionStartInfo", "data"),
                          ("session_end_info", 4, _F.TYPE_MESSAGE, False, "SessionEndInfo", "data")],
    "SessionStartInfo": [("hparams", 1, _F.TYPE_MESSAGE, True, "SessionStartInfo.HparamsEntry"),
                         ("model_uri", 2, _F.TYPE_STRING), ("monitor_url", 3, _F.TYPE_STRING),
                         ("group_name", 4, _F.TYPE_STRING), ("start_time_secs", 5, _F.TYPE_DOUBLE)],
    "SessionStartInfo.HparamsEntry": [("key", 1, _F.TYPE_STRING),
                                      ("value", 2, _F.TYPE_MESSAGE, False, ".google.protobuf.Value")],
    "SessionEndInfo": [("status", 1, _F.TYPE_INT32), ("end_time_secs", 2, _F.TYPE_DOUBLE)],
    "Experiment": [("name", 6, _F.TYPE_STRING), ("description", 1, _F.TYPE_STRING),
                   ("user", 2, _F.TYPE_STRING), ("time_created_secs", 3, _F.TYPE_DOUBLE),
                   ("hparam_infos", 4, _F.TYPE_MESSAGE, True, "HParamInfo"),
                   ("metric_infos", 5, _F.TYPE_MESSAGE, True, "MetricInfo")],
    "HParamInfo": [("name", 1, _F.TYPE_STRING), ("display_name", 2, _F.TYPE_STRING),
                   ("description", 3, _F.TYPE_STRING), ("type", 4, _F.TYPE_INT32),
                   ("domain_discrete", 5, _F.TYPE_MESSAGE, False, ".google.protobuf.ListValue", "domain"),
                   ("domain_interval", 6, _F.TYPE_MESSAGE, False, "Interval", "domain"),
                   ("differs", 7, _F.TYPE_BOOL)],
    "Interval": [("min_value", 1, _F.TYPE_DOUBLE), ("max_value", 2, _F.TYPE_DOUBLE)],
    "MetricInfo": [("name", 1, _F.TYPE_MESSAGE, False, "MetricName"), ("display_name", 3, _F.TYPE_STRING),
                   ("description", 4, _F.TYPE_STRING), ("dataset_type", 5, _F.TYPE_INT32)],
    "MetricName": [("group", 1, _F.TYPE_STRING), ("tag", 2, _F.TYPE_STRING)],
    # custom_scalar plugin (layout.proto)
    "Layout": [("version", 1, _F.TYPE_INT32), ("category", 2, _F.TYPE_MESSAGE, True, "Category")],
    "Category": [("title", 1, _F.TYPE_STRING), ("chart", 2, _F.TYPE_MESSAGE, True, "Chart"),
                 ("closed", 3, _F.TYPE_BOOL)],
    "Chart": [("title", 1, _F.TYPE_STRING),
              ("multiline", 2, _F.TYPE_MESSAGE, False, "MultilineChartContent", "content"),
              ("margin", 3, _F.TYPE_MESSAGE, False, "MarginChartContent", "content")],
    "MultilineChartContent": [("tag", 1, _F.TYPE_STRING, True)],
    "MarginChartContent": [("series", 1, _F.TYPE_MESSAGE, True, "MarginChartContent.Series")],
    "MarginChartContent.Series": [("value", 1, _F.TYPE_STRING), ("lower", 2, _F.TYPE_STRING),
                                  ("upper", 3, _F.TYPE_STRING)],
    # pr_curve, text, audio, image plugins' plugin_data.proto
    "PrCurvePluginData": [("version", 1, _F.TYPE_INT32), ("num_thresholds", 2, _F.TYPE_UINT32)],
    "TextPluginData": [("version", 1, _F.TYPE_INT32)],
    "AudioPluginData": [("version", 1, _F.TYPE_INT32), ("encoding", 2, _F.TYPE_INT32),
                        ("converted_to_tensor", 3, _F.TYPE_BOOL)],
}

# TensorProto.dtype values (tensorflow/core/framework/types.proto)
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_STRING = 1, 2, 3, 4, 5, 6, 7
DT_INT64, DT_BOOL, DT_BFLOAT16, DT_UINT16, DT_HALF, DT_UINT32, DT_UINT64 = 9, 10, 14, 17, 19, 22, 23
SESSION_STATUS = {0: "unspecified", 1: "start", 2: "stop", 3: "checkpoint"}
HPARAMS_STATUS = {0: "unknown", 1: "success", 2: "failure", 3: "running"}
HPARAMS_TYPE = {0: "unset", 1: "string", 2: "bool", 3: "float64"}
DATASET_TYPE = {0: "unknown", 1: "training", 2: "validation"}


def _field(spec: tuple, oneofs: list[str]) -> descriptor_pb2.FieldDescriptorProto:
    name, number, ftype, repeated, type_name, oneof = (*spec, False, None, None)[:6]
    field = _F(name=name, number=number, type=ftype,
               label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL)
    if type_name:
        field.type_name = type_name if type_name.startswith(".") else f".{PACKAGE}.{type_name}"
    if oneof:
        if oneof not in oneofs:
            oneofs.append(oneof)
        field.oneof_index = oneofs.index(oneof)
    return field


def _file() -> descriptor_pb2.FileDescriptorProto:
    """One proto3 file holding every message above; nested names (``A.B``) become nested types."""
    fd = descriptor_pb2.FileDescriptorProto(name="nbtrack_tb/events.proto", package=PACKAGE, syntax="proto3",
                                            dependency=["google/protobuf/struct.proto"])
    made: dict[str, descriptor_pb2.DescriptorProto] = {}
    for full, fields in _MESSAGES.items():
        parent, _, leaf = full.rpartition(".")
        msg = (made[parent].nested_type if parent else fd.message_type).add(name=leaf)
        made[full] = msg
        oneofs: list[str] = []
        msg.field.extend(_field(spec, oneofs) for spec in fields)
        msg.oneof_decl.extend(descriptor_pb2.OneofDescriptorProto(name=o) for o in oneofs)
    return fd


def _classes() -> dict[str, type]:
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(struct_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(_file())
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.{name}"))
            for name in _MESSAGES}


_CLASSES = _classes()
Event = _CLASSES["Event"]
SessionLog = _CLASSES["SessionLog"]
Summary = _CLASSES["Summary"]
SummaryMetadata = _CLASSES["SummaryMetadata"]
HistogramProto = _CLASSES["HistogramProto"]
TensorProto = _CLASSES["TensorProto"]
TensorShapeProto = _CLASSES["TensorShapeProto"]
GraphDef = _CLASSES["GraphDef"]
HParamsPluginData = _CLASSES["HParamsPluginData"]
Layout = _CLASSES["Layout"]
PrCurvePluginData = _CLASSES["PrCurvePluginData"]
TextPluginData = _CLASSES["TextPluginData"]
AudioPluginData = _CLASSES["AudioPluginData"]
