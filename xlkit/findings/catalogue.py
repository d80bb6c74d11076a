"""Every finding code xlkit can emit, declared once: severity, Chinese title, message template.

A template names its values (``{label}``, ``{path}``); the call site passes them
(``finding("value.required", label=...)``) and the message is the template's. A finding
worded more than one way has named variants (``finding(code, variant="unselected", ...)``).
The built-in reconcile rules (round/rules_builtin.yaml) take their severity, title and
message from here, by rule id; an office's own ``--rules`` file declares its own.
Codes under ``input.`` are those of :class:`xlkit.findings.InputError` (an input that
cannot be used at all); their message is the reason, as worded where it was found.
"""

from __future__ import annotations

ERROR = "错误"  # 强制性: must be fixed
HINT = "提示"  # 提示性: look at it

#: code → (severity, title, template, {variant: template})
TABLE: dict[str, tuple[str, str, str, dict[str, str]]] = {
    # ------------------------------------------------ files that cannot be read (rejected)
    "file.missing": (ERROR, "文件不存在", "找不到文件：{path}", {}),
    "file.not_spreadsheet": (ERROR, "不是 Excel 工作簿",
                             "不是 Excel 工作簿（文件内容既不是 .xlsx 也不是 .xls），"
                             "请用 Excel 或 WPS 另存为 .xlsx 后报送",
                             {"xlsb": "这是 .xlsb（二进制工作簿），请另存为 .xlsx 后报送",
                              "no_workbook": "压缩包中没有工作簿（不是 .xlsx 文件）"}),
    "file.encrypted": (ERROR, "文件已加密（设置了打开密码）",
                       "文件设置了打开密码（已加密），请取消密码后重新报送", {}),
    "file.corrupt": (ERROR, "文件损坏，无法打开", "文件损坏，无法打开（{error}）",
                     {"unreadable": "无法读取文件：{reason}",
                      "unzip": "文件损坏，无法解压（{error}）",
                      "part": "文件损坏，无法读取（{error}）",
                      "xls": ".xls 文件无法读取（{error}）",
                      "xls_damaged": ".xls 文件损坏，无法读取（{error}）",
                      "crash": "读取失败（{error}）"}),
    "file.too_large": (ERROR, "文件过大",
                       "文件 {size_mb} MB，超过上限 {limit_mb} MB（max_file_bytes）", {}),
    "file.zip_bomb": (ERROR, "压缩内容异常（疑似压缩炸弹）",
                      "压缩包内有 {parts} 个部件，超过上限 {limit}（max_zip_entries）",
                      {"size": "解压后 {size_mb} MB，超过上限 {limit_mb} MB（max_uncompressed_bytes）",
                       "ratio": "部件 {part} 压缩比异常（{size} / {compressed}，max_ratio）",
                       "overrun": "部件 {part} 解压后超过其声明的大小 {size} 字节（压缩数据损坏"
                                  "或被篡改，疑似压缩炸弹），已停止解压并拒绝读取"}),
    "file.not_regular": (ERROR, "不是普通文件（设备、管道或文件夹），未读取",
                         "{path} 是{kind}，不是普通文件，未读取", {}),
    "file.xml_unsafe": (ERROR, "含有不安全的 XML（实体声明 / 外部引用）",
                        "部件 {part} 含有 DOCTYPE / 实体声明（可能是 XML 炸弹或外部实体攻击），拒绝读取",
                        {}),
    "file.strict_ooxml": (ERROR, "严格 OOXML 格式，无法读取",
                          "文件是“严格 Open XML”格式，请在 Excel 中另存为“Excel 工作簿(*.xlsx)”后报送",
                          {}),
    "file.too_complex": (ERROR, "表格规模异常（行列或合并单元格过多）",
                         "工作表 {part} 有 {cells} 个单元格，超过上限 {limit}（max_cells）",
                         {"bytes": "工作表 {part} 解压后 {size} 字节，超过上限（max_sheet_bytes）",
                          "merged": "工作表 {part} 有 {merged} 个合并区域，超过上限 {limit}"
                                    "（max_merged_ranges）",
                          "nested": "文件结构嵌套过深，无法读取"}),
    "file.timeout": (ERROR, "读取超时",
                     "读取超过 {seconds} 秒仍未完成（seconds_per_file），已放弃", {}),
    "file.out_of_memory": (ERROR, "读取时内存超限",
                           "读取时内存超过上限 {limit_mb} MB（memory_bytes）", {}),
    "file.macro": (HINT, "含宏的工作簿（宏不会运行）",
                   "工作簿含有宏；宏不会被运行，已按普通工作簿读取", {}),
    "file.xls": (HINT, "已另存为 .xls，公式无法核对",
                 "工作簿被另存为 .xls：只读取数值，无法核对公式", {}),
    "file.lock_file": (HINT, "Office 临时锁定文件，已跳过", "Office 临时锁定文件（~$ 开头），已跳过", {}),
    # ------------------------------------------- inbox entries that are not read (skipped)
    "file.not_return": (HINT, "不是报回的工作簿，已跳过",
                        "不是 Excel 工作簿（{suffix}），已跳过；如是报回的表格，请单位用 Excel 或 WPS "
                        "另存为 .xlsx 后重新报送",
                        {"hidden": "隐藏文件（名称以 . 开头），已跳过",
                         "hidden_folder": "隐藏文件夹（名称以 . 开头），其中的内容未查看",
                         "folder": "这是名为 {name} 的文件夹，不是工作簿；其中的文件已逐个列出",
                         "manifest": "下发清单（xlkit build 写出的 {name}），不是报回的工作簿，已跳过",
                         "output": "本次 collect 自己的输出（{what}），已跳过",
                         "temp": "xlkit 写文件时的临时文件，已跳过"}),
    "file.special": (HINT, "不是普通文件，未打开", "这是{kind}，不是普通文件，未打开，已跳过", {}),
    "file.link_outside": (HINT, "链接指向收件目录之外，未读取",
                          "链接指向收件目录之外（{target}），未跟随，已跳过", {}),
    "file.link_broken": (HINT, "链接指向的文件不存在", "链接指向的文件不存在（{target}），已跳过", {}),
    "file.same_file": (HINT, "同一个文件（经链接）只读取一次",
                       "与 {other} 是同一个文件（经链接），只读取一次，已跳过",
                       {"folder": "链接指向已查看过的文件夹 {other}，未重复查看"}),
    "file.changed": (HINT, "文件在读取过程中被改动", "文件在读取过程中被改动，下次收集时将重新读取", {}),
    # ------------------------------------------------------------- recognising the form
    "meta.missing": (ERROR, "不是 xlkit 下发的绩效自评表（缺少 _meta）",
                     "不是 xlkit 下发的绩效自评表：找不到 _meta 工作表（可能是其他表格，或复制粘贴到了新工作簿）",
                     {}),
    "meta.damaged": (ERROR, "_meta 记录损坏", "_meta 记录损坏，无法识别表式（{error}）",
                     {"layout": "_meta 中的表格结构无法还原（{error}）"}),
    "meta.unknown_template": (ERROR, "未知的表式", "未知的表式「{template}」第 {version} 版，本机没有这个表式",
                              {"unusable": "表式「{template}」第 {version} 版在本机无法使用：{reason}"}),
    "meta.other_version": (HINT, "本机没有该表式版本，按最新版读取",
                           "工作簿是表式 {template} 第 {version} 版，本机没有该版本，"
                           "按第 {current} 版（本机最新，格式兼容）的规则重算", {}),
    "meta.version_missing": (ERROR, "本机没有该表式版本",
                             "表式 {template} 第 {version} 版不在本机，请安装包含该版本的 xlkit "
                             "或把该版本的 YAML 放入模板目录（本机有：{have}）", {}),
    "meta.template_changed": (HINT, "表式文件在下发后被改动",
                              "表式 {template} 第 {version} 版的文件在下发后被改动过（{path}），"
                              "按现在的文件读取；已下发的版本不应原地修改，改动应另存为新版本", {}),
    "meta.incompatible": (ERROR, "表格格式与当前表式版本不兼容",
                          "表式 {template} 第 {version} 版的格式与当前版本不同，无法按当前版本读取，"
                          "请用当前下发的表格重新填报", {}),
    "meta.wrong_year": (ERROR, "年度不符", "这是 {year} 年度的表格，本次收集的是 {collecting} 年度", {}),
    "meta.unsigned": (HINT, "工作簿未签名", "工作簿未签名，无法确认预填数据未被改动", {}),
    "meta.no_key": (HINT, "未提供密钥，签名未核验", "未提供签名密钥，签名未核验", {}),
    "meta.signature_missing": (ERROR, "已配置签名密钥，但工作簿没有签名",
                               "已配置签名密钥，但工作簿没有签名（签名被清空，或下发时未签名）："
                               "_meta 中的预填数据不可信", {}),
    "meta.bad_signature": (ERROR, "签名无效（_meta 被改动或非本单位签发）",
                           "签名无效：_meta 中的签发记录被改动",
                           {"other_key": "签名无效：工作簿由另一把密钥签发"}),
    "meta.issued_changed": (ERROR, "预填内容被改动", "预填的「{label}」被改动：下发时为 {was}，现为 {now}",
                            {}),
    "meta.copied": (ERROR, "_meta 与表内单位 / 项目不一致（疑似复制自其他工作簿）",
                    "表内「{label}」为 {now}，而 _meta 记录的是 {was}：_meta 可能复制自其他单位的工作簿，"
                    "或预填内容被改动", {}),
    "meta.layout_changed": (ERROR, "表格结构被改动",
                            "表格结构被改动（插入或删除了行列）：{moved} 个字段的位置变了，"
                            "如「{label}」由 {now} 前为 {was}，已按新位置读取",
                            {"sheet_gone": "找不到工作表「{sheet_name}」（被改名或删除）"}),
    "meta.visible": (HINT, "_meta 工作表被取消隐藏",
                     "_meta 工作表被设为可见（下发时为深度隐藏）：签发记录可能被查看或改动", {}),
    "form.hidden_lines": (HINT, "表内有隐藏的行或列",
                          "工作表「{sheet_name}」中有隐藏的{what}：{lines}（下发的表格没有隐藏行列，"
                          "请核对是否遮盖了内容）", {}),
    "form.spare_hidden": (ERROR, "填写的备用指标行仍被隐藏",
                          "第 {rows} 行的备用指标已填写并计入得分，但该行仍被隐藏，打印的表上看不到它"
                          "（请取消隐藏：选中上下两行 → 右键 → 取消隐藏）", {}),
    "form.check_changed": (HINT, "校验公式被删除或改动",
                           "「{label}」的校验公式被删除，表内不再提示该处的问题",
                           {"changed": "「{label}」的校验公式被改动：下发时为 {was}，现为 {now}"}),
    # ------------------------------------------ the build's manifest (collect --manifest)
    "manifest.unmatched": (ERROR, "报回的工作簿与下发清单中的任何工作簿都不匹配",
                           "「{who}」不是下发清单中的工作簿（文件编号 {file_id}）：可能来自另一次下发，"
                           "或 _meta 被替换", {}),
    "manifest.digest_mismatch": (ERROR, "预填数据与下发时不同",
                                 "「{who}」_meta 中的预填数据与下发清单记录的不同（文件编号 {file_id}）："
                                 "预填的预算、目标或分值在下发后被改动", {}),
    "manifest.no_ids": (HINT, "下发清单没有文件编号（旧版清单）",
                        "下发清单 {path} 没有文件编号和预填摘要（由旧版 xlkit 生成）：按单位和项目编码匹配，"
                        "无法核对预填数据", {}),
    # ------------------------------------------------------------------ values as typed
    "value.required": (ERROR, "必填项为空", "「{label}」未填写",
                       {"unselected": "「{label}」未选择",
                        "unscored": "「{label}」未打分",
                        "indicator_name": "第 {n} 个三级指标（{level2}）填了内容但没有指标名称"}),
    "value.not_number": (ERROR, "应为数字", "「{label}」应为数字，填的是 '{raw}'{why}",
                         {"negative": "「{label}」不能为负数：{raw}",
                          "count": "「{label}」应为不小于 0 的整数（次数），填的是 {raw}"}),
    "value.text_number": (ERROR, "数字填成了文本，表内未计算",
                          "「{label}」是文本 '{raw}'，表内公式不把它当作数字{effect}", {}),
    "value.ambiguous": (ERROR, "数值有歧义，无法识别",
                        "「{label}」填的单位是「{typed}」，计量单位却是「{unit}」",
                        {"target_file": "{problem}"}),
    "value.error": (ERROR, "单元格为错误值", "「{label}」是错误值 {text}", {}),
    "value.implausible": (HINT, "数值不合常理，请核对",
                          "「{label}」{got} 是年度指标值 {target} 的 {times} 倍，请核对",
                          {"comparator": "「{label}」带有比较词 '{raw}'，按 {value} 计算",
                           "percent": "「{label}」为 {got}%，超过 100%，年度指标值为 {target}%："
                                      "疑似录入错误（原值 '{raw}'）",
                           "fraction": "「{label}」为 {got}，年度指标值为 {target}%："
                                       "疑似把百分比填成了小数（请填 95 或 95%）"}),
    "value.choice": (ERROR, "不是可选的值", "「{label}」应为 ≥ ≤ = 定性 之一，填的是 '{raw}'",
                     {"tier": "「{label}」应为 达成 / 部分达成 / 未达成，填的是 '{raw}'"}),
    "value.recommended": (HINT, "建议填写的项为空", "「{label}」未填写", {}),
    # -------------------------------------------------------------------- recomputation
    "calc.formula_overwritten": (ERROR, "公式被改成了常量",
                                 "「{label}」的公式被改成了常量 {shown}，重新计算应为 {want}", {}),
    "calc.stale": (ERROR, "表内数字与重新计算结果不一致",
                   "表内「{label}」显示 {shown}，重新计算应为 {want}", {}),
    # 提示: the form applied a declared adjustment; said so the total can be followed
    "score.deviation": (HINT, "偏离扣分", "「{label}」实际完成值 {got} 高于年度指标值 {want} 的 "
                        "{above}% 及以上，按偏离扣 {points} 分", {}),
    "score.capped": (HINT, "总分按预算执行率封顶", "各项得分之和 {plain}，预算执行率 {rate}，"
                     "总分按执行率封顶为 {total}（{caps}）", {}),
    "calc.as_shown": (ERROR, "表内数字与识别填报内容后的计算结果不一致",
                      "表内「{label}」为 {shown}，按识别后的填报内容应为 {want}：{causes}", {}),
    # 错误: the formulas are locked and hidden, so changing one means removing the protection,
    # and the sheet (and its printout) no longer scores by the rules even while it shows the
    # same number today; the office's figures are xlkit's recomputation either way
    "calc.formula_changed": (ERROR, "公式被改动",
                             "「{label}」的公式被改动：下发时为 {was}，现为 {now}", {}),
    "target.changed": (HINT, "下发的绩效目标与现行绩效目标不一致",
                       "「{name}」下发时{what}为 {was}，现行绩效目标为 {now}",
                       {"gone": "「{name}」不在现行的绩效目标中"}),
    "target.untrusted": (ERROR, "签名不可信的工作簿中绩效目标与绩效目标文件不一致",
                         "「{name}」表内{what}为 {was}，绩效目标为 {now}：工作簿签名不可信，以绩效目标为准",
                         {"gone": "「{name}」不在绩效目标中：工作簿签名不可信，该指标不是下发的目标"}),
    # ------------------------------------------------------------------- in-form checks
    "check.score_over_weight": (ERROR, "得分超过分值", "「{name}」得分 {score} 超过分值 {weight}",
                                {"qualitative": "「{name}」定性得分 {score} 超过分值 {weight}"}),
    "check.tier_band": (ERROR, "定性得分不在所选档次区间内",
                        "「{name}」选了“{tier}”，得分 {score} 不在该档次区间内", {}),
    "check.reason_missing": (ERROR, "得分低于分值但未填写偏差原因",
                             "「{name}」得分 {score} 低于分值 {weight}，须填写偏差原因分析及改进措施", {}),
    "check.over_execution": (ERROR, "全年执行数大于全年预算数",
                             "{row}：全年执行数 {executed} 大于全年预算数 {budget}", {}),
    "check.fund_parts": (ERROR, "资金来源合计与年度资金总额不一致",
                         "{column}：各资金来源合计 {got} 与{row} {total} 不一致（差 {diff}）", {}),
    "check.fund_sum": (ERROR, "支出合计与其组成部分之和不一致",
                       "{column}：{parts}之和 {got} 与{row} {total} 不一致（差 {diff}）", {}),
    "check.weights_total": (ERROR, "分值合计不为 100", "执行率与各指标分值合计为 {total}，应为 100", {}),
    "check.group_weights": (ERROR, "三级指标分值之和与一级指标分值不一致",
                            "{group}各三级指标分值之和为 {sum}，应为 {weight}", {}),
    "check.quest_count": (ERROR, "问卷份数不是不小于 0 的整数",
                          "问卷第 {n} 题「{option}」的{col}为 {count}，应为不小于 0 的整数", {}),
    "check.quest_answers": (ERROR, "问卷各选项份数合计与有效问卷份数不一致",
                            "问卷第 {n} 题各选项{col}合计 {sum}，应等于有效问卷份数 {valid}",
                            {"over": "问卷第 {n} 题各选项{col}合计 {sum}，超过有效问卷份数 {valid}"}),
    "check.quest_valid": (ERROR, "有效问卷份数不是大于 0 的整数",
                          "有效问卷份数为 {valid}，应为大于 0 的整数", {}),
    # ------------------------------------------------- the office's inputs: list, targets
    "list.row": (ERROR, "预算清单中的行无法使用（该行未生成）", "缺少{column}",
                 {"duplicate": "{column} {code} 与第 {first} 行重复",
                  "not_number": "{column}不是数字",
                  "negative": "{column}不能为负数",
                  "unit": "{column}的单位是{unit}，与金额单位（{money_unit}）不一致",
                  "sum": "{column}与{parts}之和 {sum} 不一致"}),
    "list.unit_name_differs": (HINT, "同一单位编码写了不同的单位名称（按同一单位处理）",
                               "{column} {code} 的单位名称与第 {first} 行「{first_name}」不同，"
                               "按同一单位处理，表内用「{first_name}」", {}),
    "list.money_unit": (HINT, "清单注明金额单位为元，已换算为万元",
                        "清单注明金额单位为{unit}，已按{unit}读取并换算为万元", {}),
    "list.column": (HINT, "未识别或重复的列（已忽略）", "未知列，已忽略",
                    {"duplicate": "重复的列，已忽略"}),
    "targets.row": (ERROR, "绩效目标中的行无法使用（该行未采用）", "缺少{column}",
                    {"direction": "指标方向「{raw}」无法识别，应为 ≥、≤、= 或 定性",
                     "target": "定量指标的年度指标值应为数字",
                     "weight": "分值不是数字",
                     "weight_range": "分值应在 0 到 100 之间"}),
    # ---------------------------------------------------- budget and 决算 exports (sources)
    "source.total_mismatch": (ERROR, "合计行与明细行之和不一致",
                              "第 {row} 行{what}「{column}」为 {total} {unit}，明细行之和为 "
                              "{sum} {unit}（相差 {diff}）", {}),
    "source.identity": (ERROR, "年初结转和结余 + 本年收入 − 本年支出 ≠ 年末结转和结余",
                        "第 {row} 行：{terms} = {computed} {unit}，而年末结转和结余为 {closing} {unit}",
                        {}),
    "source.bad_value": (ERROR, "金额无法识别",
                         "第 {row} 行「{column}」的值「{raw}」无法识别为金额（已按空白处理）", {}),
    "source.missing_code": (ERROR, "明细行缺少编码", "第 {row} 行缺少{column}", {}),
    "source.duplicate": (HINT, "重复的编码", "{column} {code} 与第 {first} 行重复", {}),
    "source.unknown_column": (HINT, "未识别的列", "未识别的列「{header}」，已忽略",
                              {"duplicate": "重复的列「{header}」（与 {first} 同为「{column}」），已忽略"}),
    "source.unit_assumed": (HINT, "未注明金额单位，已按默认单位读取",
                            "表中未注明金额单位（如「单位：元」），已按{unit}读取；如不是，请用 money_unit 指定",
                            {}),
    # ------------------------------------------------------------------- reconciliation
    "return.missing": (HINT, "未报送", "{unit_name}「{who}」未报送{contact}", {}),
    "return.unknown": (ERROR, "报回的表格不在预算清单中", "{unit_name} 报回的「{who}」不在预算清单中", {}),
    "return.duplicate": (HINT, "同一项目收到多份，采用最新的一份",
                         "项目 {code} 收到 {n} 份：采用 {kept}（保存于 {kept_when}），"
                         "未采用本文件（保存于 {when}）", {}),
    "return.newer_not_used": (ERROR, "较新的一份无法核验，未采用",
                              "项目 {code} 收到 {n} 份：本文件较新（保存于 {when}），但{why}，"
                              "未采用；采用的是 {kept}（保存于 {kept_when}，{kept_how}）。"
                              "如本文件是单位的更正，请单位在下发的 .xlsx 上修改后重新报送", {}),
    "return.matched_by_name": (HINT, "项目编码不一致，按单位和项目名称匹配",
                               "表内编码 {code} 与清单编码 {list_code} 不同，按单位和项目名称匹配", {}),
    "rules.broken": (HINT, "规则无法执行", "规则 {rule} 无法执行：{reason}",
                     {"file": "规则 {rule}：{reason}"}),
    # ------------------------------------- built-in rules (round/rules_builtin.yaml, by id)
    "budget.fund": (ERROR, "资金表与预算清单不一致",
                    "表内{row}（{column}）{value} 万元，预算清单为 {listed} 万元", {}),
    "final.spent": (ERROR, "全年执行数与决算本年支出不一致",
                    "自评表全年执行数 {executed} 万元，决算本年支出 {final_spent} 万元", {}),
    "final.not_found": (HINT, "决算中找不到该项目",
                        "项目 {project_code} {project_name} 在决算表中没有找到，无法核对全年执行数", {}),
    "final.dept.project": (ERROR, "项目支出全年执行数与决算不一致",
                           "表内项目支出（全年执行数）{project_executed} 万元，项目支出决算表中"
                           "该单位各项目本年支出合计 {final_project_spent} 万元", {}),
    "final.dept.not_found": (HINT, "决算中找不到该单位的项目",
                             "单位 {unit_code} {unit_name} 在项目支出决算表中没有项目，"
                             "无法核对项目支出全年执行数", {}),
    "indicator.full_marks_missed": (ERROR, "定量指标未达目标却得满分",
                                    "「{name}」实际完成值 {actual_value} 未达到年度指标值 {target_value}"
                                    "（{direction}），却得了满分 {score_entered}", {}),
    # --------------------------------- inputs that cannot be used at all (InputError)
    "input.spec": (ERROR, "表式无法使用", "{reason}", {}),
    "input.template": (ERROR, "找不到表式或该版本", "{reason}", {}),
    "input.key": (ERROR, "签名密钥无法读取", "{reason}", {}),
    "input.list": (ERROR, "预算清单无法使用", "{reason}", {}),
    "input.targets": (ERROR, "绩效目标文件无法使用", "{reason}", {}),
    "input.manifest": (ERROR, "下发清单（manifest.xlsx）无法使用", "{reason}", {}),
    "input.sheet": (ERROR, "表格文件无法使用", "{reason}", {}),
    "input.export": (ERROR, "预算 / 决算导出表无法使用", "{reason}", {}),
    "input.mapping": (ERROR, "列映射无法使用", "{reason}", {}),
    "input.rules": (ERROR, "规则文件无法使用", "{reason}", {}),
    "input.inbox": (ERROR, "收件目录或输入文件不存在", "{reason}", {}),
    "input.ledger_busy": (ERROR, "台账正被另一个 collect 使用", "{reason}", {}),
}

#: 怎么改: what a unit does about a finding, as the feedback workbooks (xlkit/docs/feedback.py)
#: tell it; one line per code, every code has one (tests/test_docs_feedback.py). The unit
#: fixes the workbook it was issued and sends it again. A finding of an office's own rule
#: (``--rules``) gets OWN_RULE_REMEDY. Codes for the office's side say the unit has nothing to do.
_RESEND = "保存后重新报送"
_OFFICE_SIDE = "属收表单位自身的数据或设置，由收表单位处理，本单位无需处理。"
_REFILL = "请在下发给本项目的原表格（.xlsx）上重新填写，" + _RESEND + "。"
OWN_RULE_REMEDY = ("按「说明」核对该项：填报有误的，在下发的表格中改正后重新报送；情况属实的，"
                   "请书面说明原因。")
REMEDIES: dict[str, str] = {
    "file.missing": "收集时找不到该文件：请重新报送该表格。",
    "file.not_spreadsheet": "请用 Excel 或 WPS 打开下发的表格，另存为“Excel 工作簿(*.xlsx)”后重新报送。",
    "file.encrypted": "请取消文件的打开密码（在“用密码进行加密”中清空密码），" + _RESEND + "。",
    "file.corrupt": "文件已损坏：" + _REFILL,
    "file.too_large": "请删除粘贴进表格的图片、多余的工作表或大量空行；仍过大的，" + _REFILL,
    "file.zip_bomb": "文件内容异常（可能经其他软件转换）：" + _REFILL,
    "file.not_regular": "报送的不是文件本身：请报送填写好的 .xlsx 表格文件。",
    "file.xml_unsafe": "文件含有不安全的内容：" + _REFILL,
    "file.strict_ooxml": "请在 Excel 中“另存为”，保存类型选“Excel 工作簿(*.xlsx)”（不要选“Strict Open XML "
                         "电子表格”），重新报送。",
    "file.too_complex": "表格中插入了过多的行列或合并单元格：" + _REFILL,
    "file.timeout": "文件无法在限定时间内读取：" + _REFILL + "仍有问题的，请联系收表单位。",
    "file.out_of_memory": "文件无法在限定内存内读取：" + _REFILL + "仍有问题的，请联系收表单位。",
    "file.macro": "宏不会运行，不影响读取；建议另存为不含宏的“Excel 工作簿(*.xlsx)”后报送。",
    "file.xls": "另存为 .xls 后无法核对公式：请在下发的 .xlsx 上填写，以 .xlsx 格式重新报送。",
    "file.lock_file": "这是 Office 打开文件时产生的临时文件，不是报表：不要报送此类文件，无需处理。",
    "file.not_return": "此文件不是报回的表格，已跳过：如它是要报送的表格，请在下发的 .xlsx 上填写后报送；"
                       "否则无需处理。",
    "file.special": "这不是普通文件，已跳过：请报送 .xlsx 表格文件本身。",
    "file.link_outside": "这是指向其他位置的链接（快捷方式），已跳过：请报送表格文件本身。",
    "file.link_broken": "链接指向的文件不存在：请报送表格文件本身。",
    "file.same_file": "同一文件经链接出现两次，只读取一次：无需处理。",
    "file.changed": "收集时文件正被改动：请确认报送的是保存好的最终版本；下次收集时会重新读取。",
    "meta.missing": "这不是下发的表格（或内容被复制到了新工作簿）：" + _REFILL,
    "meta.damaged": "表格的隐藏记录被破坏：" + _REFILL + "不要删除或改动隐藏的工作表。",
    "meta.unknown_template": "请确认填写的是本次下发的表格；是的，请联系收表单位。",
    "meta.other_version": "表格是较早版本的表式，已按本机最新版的规则计算：请核对得分；收表单位另有通知的，"
                          "按通知办理。",
    "meta.version_missing": "请确认填写的是本次下发的表格；是的，请联系收表单位。",
    "meta.template_changed": "表式文件在收表单位处有改动，" + _OFFICE_SIDE,
    "meta.incompatible": "请在本次下发的表格上重新填写，" + _RESEND + "。",
    "meta.wrong_year": "这是其他年度的表格：请在本年度下发的表格上填写，" + _RESEND + "。",
    "meta.unsigned": "无法确认预填数据未被改动：" + _REFILL,
    "meta.no_key": "收表单位未核验签名，" + _OFFICE_SIDE,
    "meta.signature_missing": "表格的签名被清空：" + _REFILL + "不要把内容复制到其他工作簿。",
    "meta.bad_signature": "表格的签发记录被改动，或不是下发给本项目的表格：" + _REFILL,
    "meta.issued_changed": "预填的内容不能修改：请改回「应为」所列的下发值，" + _RESEND
                           + "；预算或目标确有调整的，请附调整依据另行说明。",
    "meta.copied": "表内的单位或项目与表格的签发记录不一致（可能用了其他单位或项目的表格）：" + _REFILL,
    "meta.layout_changed": "不要插入或删除行列：请把已填的内容复制到下发原表格的对应单元格，" + _RESEND + "。",
    "meta.visible": "隐藏的 _meta 工作表被取消隐藏：请不要改动其中的内容，使用下发的原表格报送。",
    "form.hidden_lines": "请取消隐藏（选中相邻的行或列 → 右键 → 取消隐藏），核对其中的内容，" + _RESEND + "。",
    "form.spare_hidden": "选中该行上下两行 → 右键 → 取消隐藏，使已填写的备用指标行显示出来，" + _RESEND + "。",
    "form.check_changed": "校验公式不应删除或改动：" + _REFILL,
    "manifest.unmatched": "这不是本次下发的表格：" + _REFILL,
    "manifest.digest_mismatch": "预填的预算、目标或分值被改动：" + _REFILL + "不要修改预填内容。",
    "manifest.no_ids": "收表单位的下发清单是旧版，" + _OFFICE_SIDE,
    "value.required": "请在「单元格」所指的位置填写该项（有下拉列表的从列表中选择），" + _RESEND + "。",
    "value.not_number": "请在该单元格只填数字（不带单位、文字或空格，如 1488.78），" + _RESEND + "。",
    "value.text_number": "该单元格是文本，表内公式不计算它：请删去逗号、单位和空格，重新输入纯数字"
                         "（如 12579.31），" + _RESEND + "。",
    "value.ambiguous": "填写的单位与计量单位不一致：请按计量单位换算后只填数字，" + _RESEND + "。",
    "value.error": "单元格是错误值（如 #DIV/0!、#REF!）：请改为正确的数字或文字，不要粘贴公式，" + _RESEND + "。",
    "value.implausible": "请核对该数值：属录入错误的（如多打一位、把 95% 填成 0.95），请改正后重新报送；"
                         "数值无误的，无需修改，请说明原因。",
    "value.choice": "请从下拉列表中选择（不要手工输入其他文字），" + _RESEND + "。",
    "value.recommended": "建议填写该项（不影响计分），补充后随表报送。",
    "calc.formula_overwritten": "该单元格原为公式（自动计算），被改成了数字：" + _REFILL + "不要覆盖公式。",
    "calc.stale": "表内数字尚未按最新内容重算：请按 Ctrl+Alt+F9（WPS：公式 → 重算工作簿）重新计算，"
                  + _RESEND + "。",
    "score.deviation": "这是按规则的偏离扣分，无需修改；偏离有合理原因的，请在偏差原因分析中说明。",
    "score.capped": "这是按预算执行率封顶的计分规则，无需修改。",
    "calc.as_shown": "表内显示的数与按所填内容计算的数不一致，多由同一项目的其他错误引起（如数字填成了文本）："
                     "先改正那些错误，表内数字会随之更新，" + _RESEND + "。",
    "calc.formula_changed": "公式被改动：" + _REFILL + "不要取消保护或修改公式。",
    "target.changed": "下发后绩效目标有调整：请按现行绩效目标核对该指标，以收表单位的通知为准。",
    "target.untrusted": "表内绩效目标与下达的不一致：请按下达的绩效目标改回「应为」所列的值，" + _REFILL,
    "check.score_over_weight": "得分不能超过分值：请按评分标准重新打分（不超过「应为」所列分值），" + _RESEND + "。",
    "check.tier_band": "得分应在所选档次的分数区间内：请调整档次或得分使二者一致，" + _RESEND + "。",
    "check.reason_missing": "得分低于分值时必须说明原因：请在该指标的“偏差原因分析及改进措施”栏填写原因和"
                            "改进措施，" + _RESEND + "。",
    "check.over_execution": "全年执行数不能大于全年预算数：请按实际支出（以决算为准）核对执行数，改正后重新报送；"
                            "确有超支的，请说明原因。",
    "check.fund_parts": "各资金来源之和应等于年度资金总额：请核对各来源的金额，改正后重新报送。",
    "check.fund_sum": "合计应等于其组成部分之和：请核对各组成部分的金额，改正后重新报送。",
    "check.weights_total": "执行率与各指标分值合计应为 100：请核对分值（预填的分值不要修改），改正后重新报送。",
    "check.group_weights": "三级指标分值之和应等于所属一级指标的分值：请调整三级指标分值，改正后重新报送。",
    "check.quest_count": "问卷份数应为不小于 0 的整数：请改正后重新报送。",
    "check.quest_answers": "各选项份数之和应等于有效问卷份数：请核对各选项份数，改正后重新报送。",
    "check.quest_valid": "有效问卷份数应为大于 0 的整数：请填写实际收回的有效问卷份数，改正后重新报送。",
    "list.row": "预算清单中的这一行有误，" + _OFFICE_SIDE,
    "list.unit_name_differs": "预算清单中单位名称写法不一，" + _OFFICE_SIDE,
    "list.money_unit": "预算清单的金额单位已换算，" + _OFFICE_SIDE,
    "list.column": "预算清单中有未识别的列，" + _OFFICE_SIDE,
    "targets.row": "绩效目标文件中的这一行有误，" + _OFFICE_SIDE,
    "source.total_mismatch": "预算 / 决算导出表中的合计有误，" + _OFFICE_SIDE,
    "source.identity": "决算导出表中的数不平衡，" + _OFFICE_SIDE,
    "source.bad_value": "预算 / 决算导出表中有无法识别的金额，" + _OFFICE_SIDE,
    "source.missing_code": "预算 / 决算导出表中缺少编码，" + _OFFICE_SIDE,
    "source.duplicate": "预算 / 决算导出表中编码重复，" + _OFFICE_SIDE,
    "source.unknown_column": "预算 / 决算导出表中有未识别的列，" + _OFFICE_SIDE,
    "source.unit_assumed": "预算 / 决算导出表未注明金额单位，" + _OFFICE_SIDE,
    "return.missing": "该项目尚未报送：请在下发的表格上填写，按期报送（见「催报」表）。",
    "return.unknown": "报送的表格不在本次预算清单中：请核对项目编码和名称；是本次应报项目的，" + _REFILL,
    "return.duplicate": "同一项目报送了多份，已采用较新的一份：请确认采用的是最终版本，无误的无需处理。",
    "return.newer_not_used": "较新的一份无法核验，未采用：请在下发的 .xlsx 上修改，" + _RESEND + "。",
    "return.matched_by_name": "表内项目编码与清单不同，已按单位和项目名称对应：请核对项目编码，不要修改预填的编码。",
    "rules.broken": "收表单位的审核规则无法执行，" + _OFFICE_SIDE,
    "budget.fund": "资金表中预填的金额应与预算清单一致：请改回「应为」所列的金额，" + _RESEND
                   + "；预算确有调整的，请附调整文件说明。",
    "final.spent": "全年执行数应与决算本年支出一致：请按决算数核对并改正全年执行数（「应为」是决算数），"
                   "重新报送；口径确有不同的，请书面说明原因。",
    "final.not_found": "决算中找不到该项目：请核对项目编码和名称是否与决算一致；决算漏列的，请联系收表单位。",
    "final.dept.project": "项目支出全年执行数应与项目支出决算一致：请按决算数核对并改正，口径不同的请书面说明原因。",
    "final.dept.not_found": "决算中找不到本单位的项目：请核对单位编码；决算漏列的，请联系收表单位。",
    "indicator.full_marks_missed": "未达到年度指标值的指标不能得满分：请按实际完成情况和评分标准重新打分，"
                                   "填写偏差原因，" + _RESEND + "。",
    **{code: "收表单位的输入文件无法使用，" + _OFFICE_SIDE for code in TABLE if code.startswith("input.")},
}
