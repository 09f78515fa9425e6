/**
 * Local stand-ins of the chat robots and of a generic signed-webhook receiver, speaking their wire
 * protocols on 127.0.0.1: each checks the signature exactly as its documentation describes, answers
 * errors the way the real one does (DingTalk 310000 / 130101, Feishu 19021, WeCom 93000 / 45009) and
 * records what it accepted. For tests and `npm start`; never deployed.
 */
export { DINGTALK_ERRORS, type DingTalkRobotOptions, startDingTalkRobot } from './dingtalk.js';
export { FEISHU_ERRORS, type FeishuBotOptions, startFeishuBot } from './feishu.js';
export { startWebhookReceiver, type WebhookReceiverOptions } from './receiver.js';
export type { RecordedMessage, Robot, RobotFault } from './robot.js';
export { startWeComRobot, WECOM_ERRORS, type WeComRobotOptions } from './wecom.js';
